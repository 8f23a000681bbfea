/** The hosted enquiry form and its thank-you page: plain HTML, no scripts, escaped everywhere. */

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 24px; color: #1a1b1e; background: #fff; }
  main { max-width: 460px; margin: 0 auto; }
  h1 { font-size: 1.35rem; margin: 0 0 4px; }
  p.lead { color: #5c5f66; margin: 0 0 20px; }
  label { display: block; font-weight: 600; font-size: .9rem; margin: 14px 0 4px; }
  input, textarea { width: 100%; box-sizing: border-box; padding: 9px 11px; border: 1px solid #ced4da; border-radius: 6px; font: inherit; }
  textarea { min-height: 96px; }
  .row { display: flex; gap: 12px; } .row > div { flex: 1; }
  button { margin-top: 20px; width: 100%; padding: 11px; border: 0; border-radius: 6px; background: #0c8599; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  .problems { background: #fff5f5; border: 1px solid #ffc9c9; color: #c92a2a; border-radius: 6px; padding: 10px 14px; }
  .trap { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
  small { color: #868e96; display: block; margin-top: 16px; }
`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const LABELS: Record<string, string> = {
  givenName: 'First name',
  familyName: 'Last name',
  phone: 'Phone',
  email: 'Email',
  message: 'Message',
  interest: 'What can we help with?',
};

export function renderContactForm(input: {
  clinicName: string;
  action: string;
  hidden: Record<string, string>;
  values?: Record<string, string>;
  problems?: Array<{ path: string; message: string }>;
}): string {
  const v = (name: string) => escape(input.values?.[name] ?? '');
  const field = (name: string, type = 'text', extra = '') =>
    `<label for="${name}">${LABELS[name]}</label><input id="${name}" name="${name}" type="${type}" value="${v(name)}" ${extra}>`;
  const problems = input.problems?.length
    ? `<div class="problems" role="alert"><strong>Please check the form:</strong><ul>${input.problems
        .map((p) => `<li>${escape(LABELS[p.path] ?? p.path)}: ${escape(p.message)}</li>`)
        .join('')}</ul></div>`
    : '';
  const hidden = Object.entries(input.hidden)
    .map(([k, val]) => `<input type="hidden" name="${escape(k)}" value="${escape(val)}">`)
    .join('');
  return page(
    `Contact ${input.clinicName}`,
    `<h1>Contact ${escape(input.clinicName)}</h1><p class="lead">Leave your details and we will get back to you.</p>${problems}
<form method="post" action="${escape(input.action)}">${hidden}
<div class="row"><div>${field('givenName', 'text', 'required maxlength="100" autocomplete="given-name"')}</div>
<div>${field('familyName', 'text', 'required maxlength="100" autocomplete="family-name"')}</div></div>
${field('phone', 'tel', 'maxlength="40" autocomplete="tel"')}
${field('email', 'email', 'maxlength="320" autocomplete="email"')}
${field('interest', 'text', 'maxlength="200"')}
<label for="message">${LABELS.message}</label><textarea id="message" name="message" maxlength="5000">${v('message')}</textarea>
<div class="trap" aria-hidden="true"><label for="website">Leave this empty</label><input id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">Send</button>
<small>Please do not include medical details here; we will ask what we need when we call.</small>
</form>`,
  );
}

export function renderThanks(clinicName: string): string {
  return page(
    `Thank you`,
    `<h1>Thank you</h1><p class="lead">${escape(clinicName)} has your details and will be in touch soon.</p>`,
  );
}
