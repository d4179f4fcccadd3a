import {
  appleMailReply,
  bounceFor,
  deeplyNestedMail,
  gmailReply,
  htmlMailWithInlineImage,
  hugeHeaderMail,
  outlookReply,
  plainMail,
} from '../../testing/mail-fixtures';
import { MailParseError, parseMail } from './parse-mail';

const quoted = 'Hello Ada,\nyour parcel left our warehouse today.\nAcme Support';

describe('parseMail', () => {
  it.each([
    ['Gmail', gmailReply('It still has not arrived.', quoted, { messageId: '<g2@customer.test>' })],
    [
      'Outlook',
      outlookReply('It still has not arrived.', quoted, { messageId: '<o2@customer.test>' }),
    ],
    [
      'Apple Mail',
      appleMailReply('It still has not arrived.', quoted, { messageId: '<a2@customer.test>' }),
    ],
  ])('keeps the full, reply-only and quoted parts of a %s reply', async (_client, raw) => {
    const mail = await parseMail(raw);
    expect(mail.replyText).toBe('It still has not arrived.');
    expect(mail.quotedText).toContain('your parcel left our warehouse today.');
    expect(mail.text).toContain('It still has not arrived.');
    expect(mail.text).toContain('your parcel left our warehouse today.');
    expect(mail.from).toEqual({ address: 'ada@customer.test', name: 'Ada Lovelace' });
  });

  it('orders threading ids In-Reply-To first, then References newest first', async () => {
    const mail = await parseMail(
      plainMail('x', { inReplyTo: '<c@x>', references: '<a@x> <b@x> <c@x>' }),
    );
    expect(mail.inReplyTo).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });

  it('sanitises HTML: no script, event handler or javascript: URL survives; cid: images do', async () => {
    const mail = await parseMail(
      htmlMailWithInlineImage(
        '<p onclick="steal()">Hi<script>alert(1)</script></p><a href="javascript:alert(1)">x</a>' +
          '<img src="cid:logo@customer.test" onerror="x()"><style>p{}</style><iframe src="https://e.vil"></iframe>',
      ),
    );
    expect(mail.html).not.toMatch(/script|onclick|onerror|javascript:|iframe|<style/i);
    expect(mail.html).toContain('<img src="cid:logo@customer.test" />');
    expect(mail.text).toBe('Hi\nx');
    expect(mail.attachments).toEqual([
      expect.objectContaining({
        filename: 'logo.png',
        contentId: 'logo@customer.test',
        inline: true,
      }),
    ]);
  });

  it('decodes legacy charsets and survives unknown ones', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(
        'From: a@customer.test\r\nSubject: =?iso-8859-1?Q?Gr=FC=DFe?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n',
      ),
      Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]),
    ]);
    const mail = await parseMail(latin1);
    expect(mail.subject).toBe('Grüße');
    expect(mail.text.trim()).toBe('Grüße');
    const unknown = await parseMail(
      Buffer.from(
        'From: a@customer.test\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello',
      ),
    );
    expect(unknown.text.trim()).toBe('hello');
  });

  it('flags auto-replies, bulk mail and bounces with what the DSN says', async () => {
    const ooo = await parseMail(
      plainMail('I am away', { extraHeaders: ['Auto-Submitted: auto-replied'] }),
    );
    expect(ooo.flags).toEqual({ autoReply: true, bounce: false, bulk: false });
    const outlookOoo = await parseMail(
      plainMail('away', {
        subject: 'Automatic reply: Order 1234',
        extraHeaders: ['X-Auto-Response-Suppress: All'],
      }),
    );
    expect(outlookOoo.flags.autoReply).toBe(true);
    const list = await parseMail(
      plainMail('news', { extraHeaders: ['List-Id: <news.customer.test>', 'Precedence: bulk'] }),
    );
    expect(list.flags).toEqual({ autoReply: false, bounce: false, bulk: true });
    const bounce = await parseMail(bounceFor('<sb.1@acme.test>', 'gone@customer.test'));
    expect(bounce.flags.bounce).toBe(true);
    expect(bounce.bounce).toEqual({
      undeliverableAddress: 'gone@customer.test',
      status: '5.1.1',
      action: 'failed',
      originalMessageId: '<sb.1@acme.test>',
    });
    const plain = await parseMail(plainMail('Where is my parcel?'));
    expect(plain.flags).toEqual({ autoReply: false, bounce: false, bulk: false });
  });

  it('keeps a forwarded message (message/rfc822) apart from the customer’s own words', async () => {
    const raw = Buffer.from(
      [
        'From: Bob <bob@customer.test>',
        'To: support@acme.test',
        'Subject: Fwd: invoice problem',
        'Message-ID: <fwd1@customer.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See the mail below, please help.',
        '--b1',
        'Content-Type: message/rfc822',
        'Content-Disposition: inline',
        '',
        'From: Shop <billing@shop.test>',
        'Subject: Your invoice',
        'Message-ID: <inv@shop.test>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Invoice 42: you owe 100 EUR.',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const parsed = await parseMail(raw);
    expect(parsed.replyText).toBe('See the mail below, please help.');
    expect(parsed.quotedText).toContain('From:    Shop <billing@shop.test>');
    expect(parsed.quotedText).toContain('Invoice 42: you owe 100 EUR.');
    expect(parsed.text).toContain('Invoice 42');
  });

  it('rejects hostile MIME with a clear reason instead of crashing', async () => {
    const nested = await parseMail(deeplyNestedMail(80)).catch((error: unknown) => error);
    expect(nested).toBeInstanceOf(MailParseError);
    expect((nested as MailParseError).reason).toBe(
      'Maximum MIME nesting depth of 50 levels exceeded',
    );
    await expect(parseMail(hugeHeaderMail(400 * 1024))).rejects.toThrow(
      /Maximum header size of \d+ bytes exceeded/,
    );
    await expect(parseMail(Buffer.from('\u0000\u0001 just binary garbage'))).rejects.toThrow(
      'unparseable mail: no RFC 822 header block found',
    );
    expect((await parseMail(deeplyNestedMail(10))).text).toContain('innermost');
  });
  describe('real-world header oddities', () => {
    /** A mail whose header lines are given as raw bytes (Latin-1 strings, one char per byte). */
    const rawMail = (headerLines: string[], body = 'Hello'): Buffer =>
      Buffer.from(
        [
          ...headerLines,
          'To: support@shop.test',
          'Date: Mon, 2 Jun 2025 10:00:00 +0000',
          'Message-ID: <odd@customer.test>',
          '',
          body,
          '',
        ].join('\r\n'),
        'latin1',
      );

    it('keeps a sender whose encoded-word display name contains a comma as one mailbox', async () => {
      const mail = await parseMail(
        rawMail(['From: =?iso-8859-1?Q?M=FCller,=20Grete?= <grete@customer.test>', 'Subject: x']),
      );
      expect(mail.from).toEqual({ address: 'grete@customer.test', name: 'Müller, Grete' });
    });

    it('never decodes an encoded word inside an address, nor invents a name from it; drops a stray >', async () => {
      const mail = await parseMail(
        rawMail([
          'From: =?utf-8?Q?boss?=@shop.test',
          'Reply-To: "help desk"@shop.test>',
          'Subject: x',
        ]),
      );
      expect(mail.from).toEqual({ address: '=?utf-8?q?boss?=@shop.test' });
      // A stray closing bracket is not part of the address.
      expect(mail.replyTo).toEqual({ address: 'help desk@shop.test' });
    });

    it('decodes raw Shift_JIS header bytes and Shift_JIS mislabelled as ISO-2022-JP', async () => {
      const shiftJisTest = '\x83\x65\x83\x58\x83\x67'; // "テスト" in Shift_JIS
      const mail = await parseMail(
        rawMail([
          `Subject: ${shiftJisTest}`,
          `From: =?ISO-2022-JP?B?${Buffer.from(shiftJisTest, 'latin1').toString('base64')}?= <taro@customer.test>`,
          'Content-Type: text/plain; charset=iso-2022-jp',
        ]),
      );
      expect(mail.subject).toBe('テスト');
      expect(mail.from).toEqual({ address: 'taro@customer.test', name: 'テスト' });
    });

    it('removes control characters that a sender encoded into the subject', async () => {
      const encoded = Buffer.from('\r\nWhere is my order?').toString('base64');
      const mail = await parseMail(
        rawMail(['From: ada@customer.test', `Subject: =?UTF-8?B?${encoded}?=`]),
      );
      expect(mail.subject).toBe('Where is my order?');
    });

    it('starts a new text line at an opening block element of an HTML-only mail', async () => {
      const mail = await parseMail(
        rawMail(
          ['From: ada@customer.test', 'Subject: x', 'Content-Type: text/html; charset=utf-8'],
          'Order 42<h1>Not delivered</h1>',
        ),
      );
      expect(mail.text).toBe('Order 42\nNot delivered');
    });
  });
});
