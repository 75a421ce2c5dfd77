import type { Form } from '../../engine/forms/store.js';
import { formHtml } from './html.js';

/**
 * The embed script: draws the form where its `<script>` tag stands, and posts it as JSON to
 * Waymark (CORS), showing the answer in place or following the form's redirect. It holds no
 * inline handlers, so pages with a strict CSP can load it from Waymark's origin.
 */
export function embedScript(form: Form, publicUrl: string): string {
  const action = `${publicUrl}/f/${form.id}`;
  return `(function () {
  var html = ${JSON.stringify(formHtml(form, action))};
  var script = document.currentScript;
  var box = document.createElement('div');
  box.className = 'waymark-form';
  box.innerHTML = html;
  var hp = box.querySelector('.wm-hp');
  if (hp) hp.setAttribute('style', 'position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden');
  if (script && script.parentNode) script.parentNode.insertBefore(box, script);
  else document.body.appendChild(box);
  var form = box.querySelector('form');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {};
    new FormData(form).forEach(function (value, key) { body[key] = value; });
    Array.prototype.forEach.call(form.querySelectorAll('.wm-error'), function (e) { e.remove(); });
    fetch(${JSON.stringify(action)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json().then(function (answer) { return { ok: res.ok, answer: answer }; }); })
      .then(function (r) {
        if (r.ok) {
          if (r.answer.redirect) { window.location.href = r.answer.redirect; return; }
          box.textContent = r.answer.confirmationRequired ? 'Check your inbox to confirm your subscription.' : 'Thank you: you are signed up.';
          return;
        }
        var details = (r.answer.error && r.answer.error.details) || [];
        details.forEach(function (d) {
          var name = (d.path || '').slice(1);
          var field = form.querySelector('[name="' + name + '"]');
          var note = document.createElement('div');
          note.className = 'wm-error';
          note.textContent = d.message;
          (field && field.parentNode ? field.parentNode : form).insertBefore(note, field ? field.nextSibling : null);
        });
      });
  });
})();
`;
}
