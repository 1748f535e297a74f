#!/usr/bin/env node
// A tiny command line over sigstore-js (npm `sigstore` for signing, `@sigstore/verify` for
// verification against a local trusted root), to drive it from the tests like the other clients.
//
//   node client.mjs sign   --signing-config FILE --identity-token T --bundle OUT FILE
//   node client.mjs attest --signing-config FILE --identity-token T --bundle OUT
//                          [--payload-type application/vnd.in-toto+json] PAYLOAD_FILE
//   node client.mjs verify --trusted-root FILE --bundle B --certificate-identity ID
//                          --certificate-oidc-issuer ISS [FILE]
//
// sign/attest take the Fulcio, Rekor v1 and TSA URLs from a SigningConfig v0.2 (or --fulcio-url,
// --rekor-url, --tsa-url). verify checks the bundle (certificate chain, SCT, Rekor entry with its
// inclusion proof/checkpoint/SET, timestamps, signature, identity policy); for a message signature
// FILE is the signed artifact; for a DSSE bundle with an in-toto statement FILE, when given, must be
// one of the statement's subjects (sha256). Exit 0 when OK, 1 with the reason on stderr otherwise.

import crypto from 'node:crypto';
import fs from 'node:fs';

import { parseArgs, requireTool } from './lib.mjs';

const [command, ...rest] = process.argv.slice(2);
const args = parseArgs(rest);

function need(name) {
  if (args[name] === undefined) throw new Error(`${command}: --${name} is required`);
  return args[name];
}

function services() {
  const out = { fulcioURL: args['fulcio-url'], rekorURL: args['rekor-url'], tsaServerURL: args['tsa-url'] };
  if (args['signing-config']) {
    const sc = JSON.parse(fs.readFileSync(args['signing-config'], 'utf8'));
    const pick = (list, major) => (list ?? []).find((s) => (s.majorApiVersion ?? 1) === major)?.url;
    out.fulcioURL ??= pick(sc.caUrls, 1);
    out.rekorURL ??= pick(sc.rekorTlogUrls, 1);
    out.tsaServerURL ??= pick(sc.tsaUrls, 1);
  }
  if (!out.fulcioURL || !out.rekorURL) throw new Error(`${command}: no Fulcio/Rekor v1 URL (give --signing-config)`);
  return out;
}

async function sign(kind) {
  const sigstore = requireTool('sigstore');
  const [file] = args._;
  if (!file) throw new Error(`${command}: FILE is required`);
  const opts = { ...services(), identityToken: need('identity-token'), tlogUpload: true };
  const data = fs.readFileSync(file);
  const bundle =
    kind === 'sign'
      ? await sigstore.sign(data, opts)
      : await sigstore.attest(data, args['payload-type'] || 'application/vnd.in-toto+json', opts);
  fs.writeFileSync(need('bundle'), JSON.stringify(bundle) + '\n');
}

function verify() {
  const { Verifier, toSignedEntity, toTrustMaterial } = requireTool('@sigstore/verify');
  const { bundleFromJSON } = requireTool('@sigstore/bundle');
  const { TrustedRoot } = requireTool('@sigstore/protobuf-specs');
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(need('trusted-root'), 'utf8')));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(need('bundle'), 'utf8')));
  const [file] = args._;
  const data = file ? fs.readFileSync(file) : undefined;
  const isDsse = bundle.content.$case === 'dsseEnvelope';
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  const policy = {
    subjectAlternativeName: need('certificate-identity'),
    extensions: { issuer: need('certificate-oidc-issuer') },
  };
  if (!isDsse && !data) throw new Error('verify: FILE is required for a message-signature bundle');
  verifier.verify(toSignedEntity(bundle, isDsse ? undefined : data), policy);
  if (isDsse && data) {
    const env = bundle.content.dsseEnvelope;
    if (env.payloadType !== 'application/vnd.in-toto+json') throw new Error(`verify: DSSE payload type ${env.payloadType} is not in-toto`);
    const statement = JSON.parse(Buffer.from(env.payload).toString('utf8'));
    const digest = crypto.createHash('sha256').update(data).digest('hex');
    const subjects = statement.subject ?? [];
    if (!subjects.some((s) => s.digest?.sha256 === digest)) {
      throw new Error(`verify: no subject of the in-toto statement has sha256 ${digest}`);
    }
  }
  process.stdout.write('OK\n');
}

try {
  if (command === 'sign' || command === 'attest') await sign(command);
  else if (command === 'verify') verify();
  else throw new Error(`usage: client.mjs sign|attest|verify ... (got ${command ?? 'nothing'})`);
} catch (e) {
  process.stderr.write(`sigstore-js ${command}: ${e.name}: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
  if (e.cause) process.stderr.write(`  cause: ${e.cause.message ?? e.cause}\n`);
  process.exit(1);
}
