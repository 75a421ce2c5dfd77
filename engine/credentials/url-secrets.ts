/** Text as a server reads it (percent-decoded); as written when a stray `%` leaves it undecodable. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A URL's user and password, as written in it and as the server gets them (decoded). */
export function urlLogin(url: URL): string[] {
  const { username, password } = url;
  return [username, password, decoded(username), decoded(password)].filter(Boolean);
}

/**
 * What of a secret URL (a gateway's, whose token may ride in it) is secret besides the whole:
 * its user and password and the values of its query parameters, as written and decoded — the
 * parts `redactUrl` hides, so a server echoing one alone shows it `[redacted]`. Nothing for
 * text that is no URL.
 *
 * @example
 * urlSecrets('https://sms:pw@gw.example/send?key=k%2B1') // ['sms', 'pw', 'k%2B1', 'k+1']
 */
export function urlSecrets(text: string): string[] {
  if (!URL.canParse(text)) return [];
  const url = new URL(text);
  const values = url.search
    .slice(1)
    .split('&')
    .flatMap((param) => {
      const eq = param.indexOf('=');
      const value = eq < 0 ? '' : param.slice(eq + 1);
      return value ? [value, decoded(value.replaceAll('+', ' '))] : [];
    });
  return [...new Set([...urlLogin(url), ...values])];
}
