// pow-worker.js runs the proof-of-work solver (pow.js) off the page's main
// thread. It is sent {pow: path of pow.js, purpose: 'code' or 'vote'},
// fetches a challenge for that purpose, solves it and answers {header}, the
// X-Challenge value, or {error}.
self.onmessage = function (e) {
  'use strict';
  try {
    importScripts(e.data.pow);
    self.PrizesPow.fetchAndSolve('', e.data.purpose, {yield: false}).then(function (header) {
      self.postMessage({header: header});
    }, function (err) {
      self.postMessage({error: String(err && err.message || err)});
    });
  } catch (err) {
    self.postMessage({error: String(err && err.message || err)});
  }
};
