// site.js: the public site's one script. Pages work without it; it adds
// what needs a script: the proof of work a form asks for (data-pow) is
// solved in a Web Worker before the form is posted, with a visible state;
// an error summary takes the focus; a form cannot be sent twice.
(function () {
  'use strict';
  var body = document.body;

  var summary = document.querySelector('[data-focus]');
  if (summary) summary.focus();

  function solve(purpose) {
    return new Promise(function (resolve, reject) {
      var w = new Worker(body.getAttribute('data-worker'));
      w.onmessage = function (e) {
        w.terminate();
        if (e.data && e.data.header) resolve(e.data.header); else reject(new Error((e.data && e.data.error) || 'failed'));
      };
      w.onerror = function (e) { w.terminate(); reject(e); };
      w.postMessage({pow: body.getAttribute('data-pow'), purpose: purpose});
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form'), function (form) {
    var sent = false;
    form.addEventListener('submit', function (e) {
      if (sent) { e.preventDefault(); return; }
      var purpose = form.getAttribute('data-pow');
      var field = form.querySelector('input[name="challenge"]');
      if (!purpose || !field || field.value) { sent = true; return; }
      e.preventDefault();
      var status = form.querySelector('.pow-status');
      var button = form.querySelector('button[type="submit"]');
      if (status) { status.textContent = status.getAttribute('data-working'); status.hidden = false; }
      if (button) button.disabled = true;
      sent = true;
      solve(purpose).then(function (header) {
        field.value = header;
      }).catch(function () {
        // The server answers a missing solution with a clear message.
      }).then(function () {
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  });
})();
