// Shared helpers of the local Sigstore stand-in and its test client.
//
// Dependencies (@sigstore/mock, sigstore, @sigstore/verify, pkijs, ...) are not installed next to
// these scripts: they live in the test tools' npm tree (scripts/install-test-tools.sh installs it into
// <repo>/.tools/node). ES module imports ignore NODE_PATH, so we load them with a CommonJS `require`
// anchored at NODE_PATH's first entry, or at <repo>/.tools/node/node_modules when NODE_PATH is unset.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function nodeModulesDir() {
  const fromEnv = (process.env.NODE_PATH || '').split(path.delimiter).find((p) => p !== '');
  return path.resolve(fromEnv || path.join(here, '../../../.tools/node/node_modules'));
}

// `require` that resolves packages in nodeModulesDir() (createRequire looks in <dir>/node_modules of
// the anchor file's directory, so anchor at a file beside the node_modules directory).
export const requireTool = createRequire(path.join(nodeModulesDir(), '..', 'chainproof-anchor.js'));

// Parse `--flag value` / `--flag=value` / `--bool` arguments; positional ones go to `_`.
export function parseArgs(argv, booleans = []) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) out[key] = a.slice(eq + 1);
    else if (booleans.includes(key)) out[key] = true;
    else {
      if (i + 1 >= argv.length) throw new Error(`missing value for --${key}`);
      out[key] = argv[++i];
    }
  }
  return out;
}

export function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

// Claims of a JWT, without checking its signature (the stand-in, like @sigstore/mock, trusts tokens).
export function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error('malformed JWT: expected 3 dot-separated parts');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
