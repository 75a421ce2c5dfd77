import { describe, expect, test } from 'vitest';
import { stripQuoted } from '../../engine/inbound/strip-quoted.js';

describe('the new text of a reply', () => {
  test.each([
    [
      'Gmail, attribution wrapped over two lines',
      'Yes please.\n\nOn Tue, Jan 6, 2026 at 10:00 AM News <\nnews@example.com> wrote:\n\n> Our offer\n',
      'Yes please.',
    ],
    [
      'Apple Mail',
      'Sounds good!\n\nOn 6 Jan 2026, at 10.00, News <news@example.com> wrote:\n\n> Our offer',
      'Sounds good!',
    ],
    ['German', 'Gerne.\n\nAm Di., 6. Jan. 2026 um 10:00 Uhr schrieb News <news@example.com>:\n> Angebot', 'Gerne.'],
    ['French', 'Oui.\n\nLe mar. 6 janv. 2026 à 10:00, News <news@example.com> a écrit :\n> Offre', 'Oui.'],
    ['Finnish', 'Kiitos!\n\nti 6.1.2026 klo 10.00 News <news@example.com> kirjoitti:\n> Tarjous', 'Kiitos!'],
    [
      'Outlook header block',
      'Call me.\n\n________________________________\nFrom: News <news@example.com>\nSent: Tuesday, January 6, 2026 10:00\nTo: ann@example.com\nSubject: Offer\n\nOur offer',
      'Call me.',
    ],
    ['Original Message separator', 'Fine.\n\n-----Original Message-----\nFrom: News\nOur offer', 'Fine.'],
    ['a signature after "-- "', 'See you.\n\n-- \nAnn Example\nACME Oy', 'See you.'],
    ['a phone footer', 'Ok!\n\nSent from my iPhone', 'Ok!'],
    ['quoted lines between answers', '> Do you want A?\nYes.\n> And B?\nNo.', 'Yes.\nNo.'],
  ])('%s', (_name, text, expected) => {
    expect(stripQuoted(text)).toBe(expected);
  });

  test('keeps a sentence that merely mentions what someone wrote', () => {
    expect(stripQuoted('On Monday you wrote:\nthat the offer ends soon. Does it?')).toBe(
      'On Monday you wrote:\nthat the offer ends soon. Does it?',
    );
  });

  test('keeps Windows line ends from turning into blank lines', () => {
    expect(stripQuoted('Line one\r\nLine two\r\n\r\n> quoted')).toBe('Line one\nLine two');
  });
});
