// site.js: the public site's one script. Pages work without it; it adds
// what needs a script: the proof of work a form asks for (data-pow) is
// solved in a Web Worker before the form is posted, with a visible state;
// an error summary takes the focus; a form cannot be sent twice; a
// workspace form (data-autosave) saves its draft as the reader types, and a
// text area with data-words counts its words live; a live region
// (data-refresh, in seconds) fetches its page again and swaps in its figures
// while the tab is shown.
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
  // Word counts: the element a text area's data-words names shows its
  // count in the page language's plural forms (data-forms, with {n}).
  Array.prototype.forEach.call(document.querySelectorAll('textarea[data-words]'), function (area) {
    var out = document.getElementById(area.getAttribute('data-words'));
    if (!out || !window.Intl || !Intl.PluralRules) return;
    var forms = JSON.parse(out.getAttribute('data-forms') || '{}');
    var lang = document.documentElement.lang;
    var rules = new Intl.PluralRules(lang), fmt = new Intl.NumberFormat(lang);
    var min = +out.getAttribute('data-min'), max = +out.getAttribute('data-max');
    function count() {
      var text = area.value.trim();
      var n = text ? text.split(/\s+/).length : 0;
      out.textContent = (forms[rules.select(n)] || forms.other || '').replace('{n}', fmt.format(n));
      out.classList.toggle('count-ok', n >= min && n <= max);
      out.classList.toggle('count-over', n > max);
    }
    area.addEventListener('input', count);
    count();
  });

  // Drafts: a form with data-autosave is posted in the background a moment
  // after the reader stops typing, with X-Autosave: 1; the answer says
  // what to show in the form's status line, the fields' errors by input
  // id, and where the form posts from now on (a new entry gets its own).
  function markFields(form, fields) {
    Array.prototype.forEach.call(form.querySelectorAll('[data-live-error]'), function (p) {
      var box = p.parentNode;
      if (box) box.classList.remove('field-error');
      p.parentNode.removeChild(p);
    });
    Object.keys(fields).forEach(function (id) {
      var input = document.getElementById(id);
      if (!input || document.getElementById(id + '-error')) return;
      var p = document.createElement('p');
      p.className = 'error-message';
      p.id = id + '-error';
      p.setAttribute('data-live-error', '');
      p.textContent = fields[id];
      var box = input.closest('.field, .link-row') || input.parentNode;
      box.classList.add('field-error');
      box.insertBefore(p, input.tagName === 'FIELDSET' ? input.firstChild : input);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-autosave]'), function (form) {
    var status = form.querySelector('.autosave-status');
    var timer = null, busy = false, again = false;
    function save() {
      if (busy) { again = true; return; }
      busy = true;
      var data = new FormData(form);
      data.set('action', 'save');
      if (status) status.textContent = status.getAttribute('data-saving');
      fetch(form.getAttribute('action'), {method: 'POST', body: new URLSearchParams(data), credentials: 'same-origin',
        headers: {'X-Autosave': '1'}})
        .then(function (r) { return r.json(); })
        .then(function (res) {
          if (res.action && res.action !== form.getAttribute('action')) {
            form.setAttribute('action', res.action);
            if (window.history && history.replaceState) history.replaceState(null, '', res.action);
          }
          if (status) status.textContent = res.status || '';
          markFields(form, res.fields || {});
        })
        .catch(function () { if (status) status.textContent = ''; })
        .then(function () {
          busy = false;
          if (again) { again = false; save(); }
        });
    }
    function later() { clearTimeout(timer); timer = setTimeout(save, 800); }
    form.addEventListener('input', later);
    form.addEventListener('change', later);
  });

  var live = document.querySelector('[data-refresh]');
  if (live && live.id && window.fetch && window.DOMParser) {
    var every = parseInt(live.getAttribute('data-refresh'), 10) * 1000;
    var refresh = function () {
      if (document.hidden) return;
      fetch(location.href, {credentials: 'same-origin', headers: {'Accept': 'text/html'}})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var next = new DOMParser().parseFromString(html, 'text/html').getElementById(live.id);
          if (!next) return;
          var open = live.querySelector('details[open]');
          live.innerHTML = next.innerHTML;
          var details = live.querySelector('details');
          if (open && details) details.open = true;
        })
        .catch(function () {});
    };
    if (every > 0) setInterval(refresh, every);
  }
})();
