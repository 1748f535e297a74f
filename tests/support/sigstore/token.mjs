#!/usr/bin/env node
// Prints a forged, UNSIGNED test identity token (JWT, alg "none") with GitHub Actions-style claims,
// for the local Sigstore stand-in (server.mjs), which does not check token signatures. It is a test
// token only: no real Fulcio accepts it.
//
//   node tests/support/sigstore/token.mjs [--repository owner/repo] [--workflow PATH] [--ref REF]
//        [--sha SHA] [--issuer URL] [--audience AUD] [--ttl SECONDS] [--claim key=value ...]
//
// The certificate identity the stand-in issues for it is
//   https://github.com/<job_workflow_ref>   e.g. https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main
// and the issuer extension is the `iss` claim (default https://token.actions.githubusercontent.com).

import { b64url, GITHUB_ISSUER } from './lib.mjs';

const argv = process.argv.slice(2);
const opts = {
  repository: 'octo-org/octo-repo',
  workflow: '.github/workflows/release.yml',
  ref: 'refs/heads/main',
  sha: 'a3f1c2d4e5b6978899aabbccddeeff0011223344',
  issuer: GITHUB_ISSUER,
  audience: 'sigstore',
  ttl: '3600',
};
const extra = {};
for (let i = 0; i < argv.length; i++) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
  if (!m) throw new Error(`unexpected argument ${argv[i]}`);
  const value = m[2] ?? argv[++i];
  if (value === undefined) throw new Error(`missing value for --${m[1]}`);
  if (m[1] === 'claim') {
    const eq = value.indexOf('=');
    if (eq < 1) throw new Error(`--claim wants key=value, got ${value}`);
    extra[value.slice(0, eq)] = value.slice(eq + 1);
  } else if (m[1] in opts) opts[m[1]] = value;
  else throw new Error(`unknown option --${m[1]}`);
}

const now = Math.floor(Date.now() / 1000);
const [owner] = opts.repository.split('/');
const workflowRef = `${opts.repository}/${opts.workflow}@${opts.ref}`;
const claims = {
  iss: opts.issuer,
  aud: opts.audience,
  sub: `repo:${opts.repository}:ref:${opts.ref}`,
  iat: now - 5,
  nbf: now - 5,
  exp: now + Number(opts.ttl),
  jti: `chainproof-test-${now}-${process.pid}`,
  repository: opts.repository,
  repository_id: '123456789',
  repository_owner: owner,
  repository_owner_id: '987654321',
  repository_visibility: 'public',
  ref: opts.ref,
  ref_type: opts.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
  sha: opts.sha,
  workflow: 'release',
  workflow_ref: workflowRef,
  workflow_sha: opts.sha,
  job_workflow_ref: workflowRef,
  job_workflow_sha: opts.sha,
  event_name: 'push',
  run_id: '4242424242',
  run_number: '7',
  run_attempt: '1',
  runner_environment: 'github-hosted',
  actor: 'octocat',
  // Some clients insist on an email claim; CI tokens have none.
  email: 'chainproof-test@example.invalid',
  email_verified: true,
  ...extra,
};

const header = { alg: 'none', typ: 'JWT' };
process.stdout.write(`${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.\n`);
