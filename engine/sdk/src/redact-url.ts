const HIDDEN = '***';
const SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

/**
 * A URL as an error message may show it (API.md "Step errors": never a credential): its user
 * and password, the values of its query parameters (tokens ride there as often) and its
 * fragment become `***`; the rest stays as written, so people still see where it went.
 * Text that is not a valid URL is hidden up to its last `@`, since where its host begins is
 * then unknown.
 *
 * @example
 * redactUrl('https://user:pw@crm.example/c?token=abc&page=2') // 'https://***@crm.example/c?token=***&page=***'
 */
export function redactUrl(text: string): string {
  const [withoutFragment = '', fragment] = splitAt(text, '#');
  const [base = '', query] = splitAt(withoutFragment, '?');
  const userinfo = URL.canParse(text) ? /^([^/]*)@/ : /^(.*)@/;
  const scheme = SCHEME.exec(base)?.[0] ?? '';
  const rest = base.slice(scheme.length).replace(userinfo, `${HIDDEN}@`);
  const search = query === undefined ? '' : `?${query.split('&').map(hideValue).join('&')}`;
  const hash = fragment === undefined ? '' : `#${fragment && HIDDEN}`;
  return `${scheme}${rest}${search}${hash}`;
}

function splitAt(text: string, mark: string): [string, string | undefined] {
  const at = text.indexOf(mark);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function hideValue(param: string): string {
  const eq = param.indexOf('=');
  return eq < 0 || eq === param.length - 1 ? param : `${param.slice(0, eq)}=${HIDDEN}`;
}
