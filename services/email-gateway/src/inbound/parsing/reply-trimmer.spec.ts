import { trimReply } from './reply-trimmer';

const quote = '> Your parcel left our warehouse today.\n> Acme Support';

describe('trimReply', () => {
  it.each([
    ['Polish', '4 maj 2025 10:15 "Acme Support" <help@acme.test> napisał(a):'],
    ['Ukrainian', '4 трав. 2025 р. 10:15 "Acme Support" <help@acme.test> пише:'],
    ['Norwegian', 'Den 4. mai 2025 kl. 10.15 skrev Acme Support <help@acme.test>:'],
    ['German, address wrapped', 'Am 04.05.2025 10:15 schrieb "Acme Support" <help@acme.test\n>:'],
    ['Russian, address wrapped', '4 мая 2025 г. 10:15 "Acme Support" <\nhelp@acme.test> написал:'],
    ['ISO date, address wrapped', '2025-05-04 10:15 GMT+02:00 Acme Support <\nhelp@acme.test>:'],
    [
      'German, date wrapped',
      'Acme Support <help@acme.test> schrieb am Mo., 4.\nMai 2025 um 10:15 Uhr:',
    ],
  ])('cuts the quote below a %s quote header', (_language, header) => {
    const trimmed = trimReply(`Still not here.\n\n${header}\n\n${quote}\n`);
    expect(trimmed.reply).toBe('Still not here.');
    expect(trimmed.quoted).toContain('Your parcel left our warehouse today.');
  });

  it('drops a Scandinavian mobile signature', () => {
    expect(trimReply('Thanks!\n\nSendt fra min iPhone').reply).toBe('Thanks!');
  });

  it('keeps the text line right above a quote header', () => {
    const trimmed = trimReply(`Order 42 is still missing.\nAcme Support wrote:\n\n${quote}`);
    expect(trimmed.reply).toBe('Order 42 is still missing.');
  });

  it('keeps only the text below the quote of a bottom-posted reply with a blank line after the header', () => {
    const trimmed = trimReply(
      `On Mon, 4 May 2025 at 10:15, Acme Support <help@acme.test> wrote:\n\n${quote}\n\nStill not here.`,
    );
    expect(trimmed.reply).toBe('Still not here.');
  });
});
