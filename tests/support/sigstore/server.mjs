#!/usr/bin/env node
// A local Sigstore stand-in for tests: Fulcio, Rekor v1 and a timestamp authority on 127.0.0.1.
//
//   node tests/support/sigstore/server.mjs [--port 0] [--out DIR] [--watch-pid PID] [--fulcio-backdate SECONDS]
//
// Prints one JSON line on stdout once it listens: {"url": "http://127.0.0.1:PORT", "dir": "DIR"},
// where DIR (--out, or a new temp dir) holds the files clients need:
//   trusted_root.json    Sigstore TrustedRoot (Fulcio CA, Rekor key, CT log key, TSA chain)
//   signing_config.json  SigningConfig v0.2 (Fulcio, Rekor v1 and TSA URLs of this server)
//   trust_config.json    ClientTrustConfig v0.1 (both of the above; sigstore-python --trust-config)
//   fulcio_root.pem, tsa_chain.pem, rekor.pub, ctlog.pub  the same keys in PEM, for cosign-style tools
// Stops on SIGTERM/SIGINT, or when the process --watch-pid names is gone.
//
// Built on npm @sigstore/mock (an in-process nock library): its CA, CT log and TSA
// (initializeCA/initializeCTLog/initializeTSA) and its Fulcio and TSA handlers, served over HTTP,
// with the corrections that real clients (sigstore-js, sigstore-python, sigstore-rust) need, as
// listed in shared/notes/sigstore.md. Marked "Correction N" below:
//   1. Fulcio: token from `Authorization: Bearer` too; base64(PEM) CSRs.
//   2. Fulcio: PEM certificates wrapped at 64 columns.
//   3. Rekor: entries canonicalised like real Rekor (dsse -> envelopeHash/payloadHash/signatures;
//      hashedrekord PEM normalised).
//   4. Rekor: a real append-only RFC 6962 Merkle log (sequential indexes from 1, audit paths,
//      consistency proofs, signed checkpoints, SETs). The mock's log is one random-index leaf.
//   5. Rekor: 80-character entry UUIDs (tree ID + leaf hash); JSON answers end with a newline.
//   6. TSA: DER `application/timestamp-query` requests as well as sigstore-js's JSON ones.
//   7. TSA: whole-second genTime.
//   8. trusted_root.json / signing_config.json / trust_config.json, validFor.start an hour back.
// Not covered: Rekor v2 (the mock's v2 answers are wrong), JWT signature checks (tokens are trusted,
// only `aud` and `exp` are checked), hashedrekord signature checks (DSSE signatures are checked).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { decodeJwt, GITHUB_ISSUER, parseArgs, requireTool } from './lib.mjs';

const mock = requireTool('@sigstore/mock');
const pkijs = requireTool('pkijs');
const asn1js = requireTool('asn1js');
const canonicalize = requireTool('canonicalize');

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port ?? 0);
const outDir = args.out
  ? path.resolve(args.out)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'sigstore-standin-'));
fs.mkdirSync(outDir, { recursive: true });

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const newKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (key) => key.export({ format: 'der', type: 'spki' });

// Correction 2: PEM with the base64 body wrapped at 64 columns (RFC 7468), as Go's encoding/pem.
function toPem(der, label) {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) || [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
function pemBlocks(text) {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out = [];
  for (let m; (m = re.exec(text)); ) {
    out.push({ label: m[1], der: Buffer.from(m[2].replace(/\s+/g, ''), 'base64') });
  }
  return out;
}
// Go's PEM round trip: the same blocks, re-encoded canonically.
const normalisePem = (text) => pemBlocks(text).map((b) => toPem(b.der, b.label)).join('');

// A public key from a PEM certificate or public key (for DSSE signature checks).
function publicKeyFromPem(text) {
  const [block] = pemBlocks(text);
  if (!block) throw new Error('no PEM block in verifier');
  if (block.label === 'CERTIFICATE') return new crypto.X509Certificate(block.der).publicKey;
  return crypto.createPublicKey({ key: block.der, format: 'der', type: 'spki' });
}

// --- keys and the mock's authorities ---------------------------------------------------------------
const caKey = newKey();
const ctKey = newKey();
const tlogKey = newKey();
const tsaKey = newKey();

const ctlog = await mock.initializeCTLog(ctKey);
const ca = await mock.initializeCA(caKey, ctlog);
const tsa = await mock.initializeTSA(tsaKey);
// --fulcio-backdate SECONDS: Fulcio issues certificates as if that long ago (10-minute validity), so
// a signature made now falls after the certificate expired (tests of expired certificates).
if (args['fulcio-backdate']) {
  const back = Number(args['fulcio-backdate']) * 1000;
  ca.getCurrentTime = () => new Date(Date.now() - back);
}

// Correction 7: whole-second genTime (the mock stamps milliseconds; sigstore-js then sometimes
// rejects the trimmed fractional seconds).
tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
// Correction 6 (part): DER requests carry nonces of up to 160 bits; the mock encodes a JS number.
const mockTstInfo = tsa.tstInfo.bind(tsa);
tsa.tstInfo = (req) => {
  const info = mockTstInfo({ ...req, nonce: typeof req.nonce === 'number' ? req.nonce : 0 });
  if (req.nonce === undefined) delete info.nonce;
  else if (typeof req.nonce !== 'number') info.nonce = req.nonce;
  return info;
};

// The GitHub-style subject: like real Fulcio, the workflow's URI for GitHub Actions tokens.
const SAN_CLAIM = 'chainproof_standin_san';
const fulcio = mock.fulcioHandler(ca, { strict: true, subjectClaim: SAN_CLAIM });
const tsaJson = mock.tsaHandler(tsa, { strict: true });

// --- Fulcio -----------------------------------------------------------------------------------------
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function subjectFor(claims) {
  if (claims.iss === GITHUB_ISSUER && claims.job_workflow_ref) {
    return `https://github.com/${claims.job_workflow_ref}`;
  }
  if (claims.iss === 'https://gitlab.com' && claims.ci_config_ref_uri) {
    return `https://${claims.ci_config_ref_uri}`;
  }
  return claims.sub;
}

async function fulcioSigningCert(req, body) {
  let json;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
  // Correction 1: the token in `Authorization: Bearer` (sigstore-python, sigstore-rust) or in the
  // body (sigstore-js); a CSR as base64 of its PEM (what the Fulcio v2 API specifies).
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization || '')?.[1];
  const token = json.credentials?.oidcIdentityToken || bearer;
  if (!token) throw new HttpError(401, 'no identity token (credentials or Authorization: Bearer)');
  let claims;
  try {
    claims = decodeJwt(token);
  } catch (e) {
    throw new HttpError(401, `invalid identity token: ${e.message}`);
  }
  const aud = [].concat(claims.aud ?? []);
  if (!aud.includes('sigstore')) throw new HttpError(401, `token audience ${JSON.stringify(claims.aud)} is not "sigstore"`);
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    throw new HttpError(401, 'identity token has expired');
  }
  if (!claims.iss) throw new HttpError(401, 'identity token has no iss claim');
  const subject = subjectFor(claims);
  if (!subject) throw new HttpError(401, 'identity token has no subject');
  // Hand the mock a token whose SAN claim holds the subject; the mock reads claims unverified.
  const [h, , s] = String(token).split('.');
  const payload = Buffer.from(JSON.stringify({ ...claims, [SAN_CLAIM]: subject })).toString('base64url');
  json.credentials = { oidcIdentityToken: `${h}.${payload}.${s}` };
  if (typeof json.certificateSigningRequest === 'string' && !json.certificateSigningRequest.includes('-----BEGIN')) {
    json.certificateSigningRequest = Buffer.from(json.certificateSigningRequest, 'base64').toString('utf8');
  }
  if (!json.certificateSigningRequest && !json.publicKeyRequest?.publicKey?.content) {
    throw new HttpError(400, 'neither certificateSigningRequest nor publicKeyRequest');
  }
  const res = await fulcio.fn(JSON.stringify(json));
  if (res.statusCode !== 201) throw new HttpError(400, String(res.response));
  const out = JSON.parse(res.response);
  const chain = out.signedCertificateEmbeddedSct.chain;
  chain.certificates = chain.certificates.map(normalisePem); // Correction 2
  return { status: 201, json: out };
}

// --- Rekor v1: an RFC 6962 Merkle tree log ---------------------------------------------------------
const leafHash = (data) => sha256(Buffer.from([0]), data);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const split = (n) => 2 ** Math.floor(Math.log2(n - 1)); // largest power of two < n (n >= 2)
function mth(leaves) {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
// RFC 6962 2.1.1 PATH(m, D[n]), leaf to root.
function auditPath(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
// RFC 6962 2.1.2 PROOF(m, D[n]).
function consistency(m, leaves, complete = true) {
  const n = leaves.length;
  if (m === n) return complete ? [] : [mth(leaves)];
  const k = split(n);
  return m <= k
    ? [...consistency(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...consistency(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

const tlogPub = spki(tlogKey.publicKey);
const logID = sha256(tlogPub);
const treeID = BigInt.asUintN(63, crypto.randomBytes(8).readBigUInt64BE()); // Trillian tree IDs are positive int64
const treeIDHex = treeID.toString(16).padStart(16, '0');
const log = { leaves: [], entries: [], byLeaf: new Map(), checkpoints: new Map() };

let rekorHost = '127.0.0.1'; // set to host:port once listening (the checkpoint origin)

// Signed note checkpoint (Rekor v1 format): origin, size, root, other content, blank line, signature
// line "— <name> base64(key hint (4 bytes of the log ID) || ECDSA signature)".
function checkpoint(size) {
  if (!log.checkpoints.has(size)) {
    const root = mth(log.leaves.slice(0, size));
    const note = `${rekorHost} - ${treeID}\n${size}\n${root.toString('base64')}\nTimestamp: ${BigInt(Date.now()) * 1_000_000n}\n`;
    const sig = crypto.sign('sha256', Buffer.from(note), tlogKey.privateKey);
    const hintAndSig = Buffer.concat([logID.subarray(0, 4), sig]);
    log.checkpoints.set(size, `${note}\n\u2014 ${rekorHost} ${hintAndSig.toString('base64')}\n`);
  }
  return log.checkpoints.get(size);
}

function inclusionProof(index) {
  const size = log.leaves.length;
  return {
    checkpoint: checkpoint(size),
    hashes: auditPath(index, log.leaves).map((h) => h.toString('hex')),
    logIndex: index,
    rootHash: mth(log.leaves).toString('hex'),
    treeSize: size,
  };
}

// The entry as Rekor's API returns it: { uuid: LogEntry }, with a proof against the current tree.
function entryResponse(entry) {
  return {
    [entry.uuid]: {
      body: entry.body.toString('base64'),
      integratedTime: entry.integratedTime,
      logID: logID.toString('hex'),
      logIndex: entry.logIndex,
      verification: {
        inclusionProof: inclusionProof(entry.logIndex),
        signedEntryTimestamp: entry.set.toString('base64'),
      },
    },
  };
}

function append(body) {
  const leaf = leafHash(body);
  const existing = log.byLeaf.get(leaf.toString('hex'));
  if (existing) return { entry: existing, duplicate: true };
  const logIndex = log.leaves.length;
  const integratedTime = Math.floor(Date.now() / 1000);
  // The SET: Rekor's signature over the canonical JSON of these four fields.
  const setPayload = canonicalize({
    body: body.toString('base64'),
    integratedTime,
    logID: logID.toString('hex'),
    logIndex,
  });
  const set = crypto.sign('sha256', Buffer.from(setPayload), tlogKey.privateKey);
  const entry = { uuid: treeIDHex + leaf.toString('hex'), body, integratedTime, logIndex, set };
  log.leaves.push(leaf);
  log.entries.push(entry);
  log.byLeaf.set(leaf.toString('hex'), entry);
  return { entry, duplicate: false };
}

// Correction 4: index 0 is a placeholder, so client entries never get logIndex 0 (protobuf JSON
// drops zero-valued fields, and clients then reject the bundle).
append(Buffer.from(canonicalize({ kind: 'chainproof-standin-genesis', treeID: String(treeID) })));

// Correction 3: canonical entry bodies, as Rekor stores them.
function canonicalEntry(proposed) {
  const { kind, apiVersion, spec } = proposed ?? {};
  if (kind === 'hashedrekord' && apiVersion === '0.0.1') {
    const hash = spec?.data?.hash;
    const sig = spec?.signature;
    if (!hash?.value || !sig?.content || !sig?.publicKey?.content) throw new HttpError(400, 'incomplete hashedrekord entry');
    if (hash.algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hash.value)) throw new HttpError(400, 'unsupported hashedrekord hash');
    const pem = normalisePem(Buffer.from(sig.publicKey.content, 'base64').toString('utf8'));
    if (!pem) throw new HttpError(400, 'hashedrekord public key is not PEM');
    return {
      apiVersion,
      kind,
      spec: {
        data: { hash: { algorithm: hash.algorithm, value: hash.value } },
        signature: { content: sig.content, publicKey: { content: Buffer.from(pem).toString('base64') } },
      },
    };
  }
  if (kind === 'dsse' && apiVersion === '0.0.1') {
    const raw = spec?.proposedContent?.envelope;
    const verifiers = spec?.proposedContent?.verifiers ?? [];
    if (typeof raw !== 'string' || verifiers.length === 0) throw new HttpError(400, 'incomplete dsse entry');
    let env;
    try {
      env = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'dsse envelope is not JSON');
    }
    if (typeof env.payloadType !== 'string' || !Array.isArray(env.signatures)) throw new HttpError(400, 'malformed dsse envelope');
    const payload = Buffer.from(env.payload ?? '', 'base64');
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${payload.length} `),
      payload,
    ]);
    const pems = verifiers.map((v) => normalisePem(Buffer.from(v, 'base64').toString('utf8')));
    const signatures = (env.signatures ?? []).map((s) => {
      const pem = pems.find((p) => crypto.verify('sha256', pae, publicKeyFromPem(p), Buffer.from(s.sig, 'base64')));
      if (!pem) throw new HttpError(400, 'a DSSE signature does not verify with any verifier');
      return { signature: s.sig, verifier: Buffer.from(pem).toString('base64') };
    });
    if (signatures.length === 0) throw new HttpError(400, 'DSSE envelope has no signatures');
    signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
    return {
      apiVersion,
      kind,
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(raw)).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures,
      },
    };
  }
  throw new HttpError(400, `unsupported entry kind ${kind} ${apiVersion} (this stand-in: hashedrekord 0.0.1, dsse 0.0.1)`);
}

function findEntry(id) {
  const s = String(id).toLowerCase();
  const leafHex = s.length === 80 ? s.slice(16) : s;
  if (s.length === 80 && s.slice(0, 16) !== treeIDHex) return undefined;
  return log.byLeaf.get(leafHex);
}

function logInfo() {
  const size = log.leaves.length;
  return {
    inactiveShards: [],
    rootHash: mth(log.leaves).toString('hex'),
    signedTreeHead: checkpoint(size),
    treeID: String(treeID),
    treeSize: size,
  };
}

// --- TSA -----------------------------------------------------------------------------------------
// Correction 6: DER TimeStampReq (RFC 3161), as sigstore-python and sigstore-rust send.
async function timestampDer(body) {
  let tsq;
  try {
    tsq = pkijs.TimeStampReq.fromBER(new Uint8Array(body));
  } catch (e) {
    throw new HttpError(400, `not a DER TimeStampReq: ${e.message}`);
  }
  const req = {
    artifactHash: Buffer.from(tsq.messageImprint.hashedMessage.valueBlock.valueHexView),
    hashAlgorithmOID: tsq.messageImprint.hashAlgorithm.algorithmId,
    nonce: tsq.nonce ? new asn1js.Integer({ valueHex: tsq.nonce.valueBlock.valueHexView }) : undefined,
    policyOID: tsq.reqPolicy || '1.3.6.1.4.1.57264.2',
    certReq: tsq.certReq ?? false,
  };
  return tsa.timestamp(req);
}

// --- trust files (correction 8) ----------------------------------------------------------------------
function writeTrustFiles(url) {
  const start = new Date(Date.now() - 3600_000).toISOString();
  const b64 = (b) => Buffer.from(b).toString('base64');
  const ctPub = spki(ctKey.publicKey);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlogPub), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(logID) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctPub), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: `${url}/api/v1/timestamp`,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };
  const service = (u) => ({ url: u, majorApiVersion: 1, validFor: { start }, operator: 'chainproof-standin' });
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [service(url)],
    oidcUrls: [],
    rekorTlogUrls: [service(url)],
    tsaUrls: [service(`${url}/api/v1/timestamp`)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
  const trustConfig = {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot,
    signingConfig,
  };
  const write = (name, text) => fs.writeFileSync(path.join(outDir, name), text);
  write('trusted_root.json', JSON.stringify(trustedRoot, null, 2) + '\n');
  write('signing_config.json', JSON.stringify(signingConfig, null, 2) + '\n');
  write('trust_config.json', JSON.stringify(trustConfig, null, 2) + '\n');
  write('fulcio_root.pem', toPem(ca.rootCertificate, 'CERTIFICATE'));
  write('tsa_chain.pem', toPem(tsa.intCertificate, 'CERTIFICATE') + toPem(tsa.rootCertificate, 'CERTIFICATE'));
  write('rekor.pub', toPem(tlogPub, 'PUBLIC KEY'));
  write('ctlog.pub', toPem(ctPub, 'PUBLIC KEY'));
}

// --- HTTP ------------------------------------------------------------------------------------------
const MAX_BODY = 32 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function route(req, body) {
  const u = new URL(req.url, 'http://127.0.0.1');
  const p = u.pathname.replace(/\/+$/, '') || '/';
  const m = req.method;
  // Fulcio
  if (m === 'POST' && p === '/api/v2/signingCert') return fulcioSigningCert(req, body);
  if (m === 'GET' && p === '/api/v2/trustBundle') {
    return { status: 200, json: { chains: [{ certificates: [toPem(ca.rootCertificate, 'CERTIFICATE')] }] } };
  }
  // Rekor v1
  if (m === 'POST' && p === '/api/v1/log/entries') {
    let proposed;
    try {
      proposed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'request body is not JSON');
    }
    const canonical = Buffer.from(canonicalize(canonicalEntry(proposed)));
    const { entry, duplicate } = append(canonical);
    const headers = { Location: `/api/v1/log/entries/${entry.uuid}`, ETag: entry.uuid };
    if (duplicate) {
      return {
        status: 409,
        headers,
        json: { code: 409, message: `An equivalent entry already exists in the transparency log with UUID ${entry.uuid}` },
      };
    }
    return { status: 201, headers, json: entryResponse(entry) };
  }
  if (m === 'GET' && p === '/api/v1/log/entries') {
    const idx = Number(u.searchParams.get('logIndex'));
    const entry = Number.isInteger(idx) ? log.entries[idx] : undefined;
    if (!entry || u.searchParams.get('logIndex') === null) throw new HttpError(404, 'entry not found');
    return { status: 200, json: entryResponse(entry) };
  }
  if (m === 'POST' && p === '/api/v1/log/entries/retrieve') {
    const q = JSON.parse(body.toString('utf8') || '{}');
    const found = [];
    for (const id of q.entryUUIDs ?? []) found.push(findEntry(id));
    for (const i of q.logIndexes ?? []) found.push(log.entries[i]);
    return { status: 200, json: found.filter(Boolean).map(entryResponse) };
  }
  const byUuid = /^\/api\/v1\/log\/entries\/([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$/.exec(p);
  if (m === 'GET' && byUuid) {
    const entry = findEntry(byUuid[1]);
    if (!entry) throw new HttpError(404, 'entry not found');
    return { status: 200, json: entryResponse(entry) };
  }
  if (m === 'GET' && p === '/api/v1/log') return { status: 200, json: logInfo() };
  if (m === 'GET' && p === '/api/v1/log/publicKey') {
    return { status: 200, type: 'application/x-pem-file', body: toPem(tlogPub, 'PUBLIC KEY') };
  }
  if (m === 'GET' && p === '/api/v1/log/proof') {
    const first = Number(u.searchParams.get('firstSize') ?? 1);
    const last = Number(u.searchParams.get('lastSize'));
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || first > last || last > log.leaves.length) {
      throw new HttpError(400, 'invalid firstSize/lastSize');
    }
    const leaves = log.leaves.slice(0, last);
    return {
      status: 200,
      json: { hashes: consistency(first, leaves).map((h) => h.toString('hex')), rootHash: mth(leaves).toString('hex') },
    };
  }
  // TSA
  if (m === 'POST' && p === '/api/v1/timestamp') {
    const type = (req.headers['content-type'] || '').split(';')[0].trim();
    let der;
    if (type === 'application/json') {
      const res = await tsaJson.fn(body.toString('utf8'));
      if (res.statusCode !== 201) throw new HttpError(400, String(res.response));
      der = res.response;
    } else {
      der = await timestampDer(body);
    }
    return { status: 201, type: 'application/timestamp-reply', body: Buffer.from(der) };
  }
  if (m === 'GET' && p === '/api/v1/timestamp/certchain') {
    return {
      status: 200,
      type: 'application/pem-certificate-chain',
      body: toPem(tsa.intCertificate, 'CERTIFICATE') + toPem(tsa.rootCertificate, 'CERTIFICATE'),
    };
  }
  if (m === 'GET' && p === '/healthz') return { status: 200, json: { ok: true } };
  throw new HttpError(404, `no route for ${m} ${p}`);
}

const server = http.createServer(async (req, res) => {
  let out;
  try {
    out = await route(req, await readBody(req));
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    out = { status, json: { code: status, message: e.message } };
    if (process.env.SIGSTORE_STANDIN_DEBUG) process.stderr.write(`${req.method} ${req.url}: ${e.stack}\n`);
  }
  // Correction 5: JSON answers end with a newline, as Go's json.Encoder writes them.
  const payload = out.json !== undefined ? JSON.stringify(out.json) + '\n' : out.body;
  res.writeHead(out.status, {
    'Content-Type': out.json !== undefined ? 'application/json' : out.type,
    ...(out.headers ?? {}),
  });
  res.end(payload);
  if (process.env.SIGSTORE_STANDIN_DEBUG) process.stderr.write(`${req.method} ${req.url} -> ${out.status}\n`);
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  const url = `http://127.0.0.1:${actual}`;
  rekorHost = `127.0.0.1:${actual}`;
  log.checkpoints.clear();
  writeTrustFiles(url);
  process.stdout.write(JSON.stringify({ url, dir: outDir }) + '\n');
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args['watch-pid']) {
  const watched = Number(args['watch-pid']);
  setInterval(() => {
    try {
      process.kill(watched, 0);
    } catch {
      stop();
    }
  }, 1000).unref();
}
