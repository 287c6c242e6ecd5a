// pow.js solves the proof-of-work challenge of GET /api/v1/challenge in the
// browser, with no cookie and no third party. The server picked a secret
// number n up to maxnumber and published SHA-256(salt + n); this script tries
// every number in turn until the hash matches, then returns the solution as
// the X-Challenge header wants it (base64 JSON). The puzzle is the one the Go
// solver in identity.Solve implements; a Go test runs both on the same
// puzzles.
//
// Usage in a page:
//   <script src="/static/pow.js"></script>
//   const header = await PrizesPow.fetchAndSolve('', 'code');
//   fetch('/api/v1/auth/email-code', {method: 'POST',
//     headers: {'Content-Type': 'application/json', 'X-Challenge': header},
//     body: JSON.stringify({email})});
(function (root) {
  'use strict';

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const W = new Uint32Array(64);
  const H = new Uint32Array(8);

  // digest hashes the first len bytes of buf (which must have room for the
  // padding: len rounded up to 64, plus 64) into H. It is written for speed:
  // the solver calls it once per candidate number.
  function digest(buf, len) {
    H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
    H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
    const blocks = ((len + 8) >>> 6) + 1;
    const end = blocks * 64;
    buf[len] = 0x80;
    buf.fill(0, len + 1, end - 8);
    const bits = len * 8;
    buf[end - 8] = 0; buf[end - 7] = 0; buf[end - 6] = 0; buf[end - 5] = 0;
    buf[end - 4] = bits >>> 24; buf[end - 3] = (bits >>> 16) & 0xff;
    buf[end - 2] = (bits >>> 8) & 0xff; buf[end - 1] = bits & 0xff;
    for (let off = 0; off < end; off += 64) {
      for (let i = 0; i < 16; i++) {
        const j = off + i * 4;
        W[i] = (buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3];
      }
      for (let i = 16; i < 64; i++) {
        const a = W[i - 15], b = W[i - 2];
        const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
  }

  function hexOf(words) {
    let s = '';
    for (let i = 0; i < words.length; i++) s += (words[i] >>> 0).toString(16).padStart(8, '0');
    return s;
  }

  // sha256hex returns the hex SHA-256 of a string's UTF-8 bytes.
  function sha256hex(text) {
    const bytes = new TextEncoder().encode(text);
    const buf = new Uint8Array(bytes.length + 128);
    buf.set(bytes);
    digest(buf, bytes.length);
    return hexOf(H);
  }

  function wordsOf(hex) {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('challenge is not a SHA-256 digest');
    const w = new Uint32Array(8);
    for (let i = 0; i < 8; i++) w[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    return w;
  }

  // solve finds the number of a challenge. It yields to the page every few
  // thousand hashes so the page stays responsive, and stops with an error
  // when options.signal is aborted.
  async function solve(challenge, options) {
    options = options || {};
    if (challenge.algorithm !== 'SHA-256') throw new Error('unknown algorithm ' + challenge.algorithm);
    const want = wordsOf(challenge.challenge);
    const salt = new TextEncoder().encode(challenge.salt);
    const buf = new Uint8Array(salt.length + 20 + 128);
    buf.set(salt);
    const digits = new Uint8Array(20);
    const max = challenge.maxnumber;
    for (let n = 0; n <= max; n++) {
      let len = salt.length, k = 0, m = n;
      do { digits[k++] = 48 + (m % 10); m = Math.floor(m / 10); } while (m > 0);
      while (k > 0) buf[len++] = digits[--k];
      digest(buf, len);
      if (H[0] === want[0] && H[1] === want[1] && H[2] === want[2] && H[3] === want[3] &&
          H[4] === want[4] && H[5] === want[5] && H[6] === want[6] && H[7] === want[7]) {
        return {algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
          salt: challenge.salt, signature: challenge.signature};
      }
      if ((n & 0x1fff) === 0x1fff) {
        if (options.signal && options.signal.aborted) throw new Error('aborted');
        if (options.yield !== false) await new Promise((r) => setTimeout(r, 0));
      }
    }
    throw new Error('challenge has no solution');
  }

  // encode returns a solution as the X-Challenge header carries it.
  function encode(solution) {
    const json = JSON.stringify(solution);
    return typeof btoa === 'function' ? btoa(json) : Buffer.from(json, 'utf8').toString('base64');
  }

  // fetchAndSolve asks base (an origin, '' for this one) for a challenge for
  // purpose ('code' or 'vote') and returns the solved X-Challenge header.
  async function fetchAndSolve(base, purpose, options) {
    const resp = await fetch(base + '/api/v1/challenge?purpose=' + encodeURIComponent(purpose),
      {credentials: 'omit', cache: 'no-store'});
    if (!resp.ok) throw new Error('challenge: HTTP ' + resp.status);
    return encode(await solve(await resp.json(), options));
  }

  const api = {solve, encode, fetchAndSolve, sha256hex};
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.PrizesPow = api;
})(typeof self !== 'undefined' ? self : this);
