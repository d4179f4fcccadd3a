import type { Attachment } from '@switchboard/events';
import { composeReply } from './compose-reply.util';

const file = (overrides: Partial<Attachment>): Attachment => ({
  filename: 'file.bin',
  contentType: 'application/octet-stream',
  sizeBytes: 1000,
  inline: false,
  platformMediaUrl: 'https://files.example/file.bin',
  ...overrides,
});
const photo = file({
  filename: 'photo.jpg',
  contentType: 'image/jpeg',
  platformMediaUrl: 'https://files.example/photo.jpg',
});
const pdf = file({ filename: 'bill.pdf', contentType: 'application/pdf; name="bill.pdf"' });

describe('composing a reply into platform messages', () => {
  it('puts short text under the first media where the platform shows captions', () => {
    expect(composeReply('whatsapp', { text: 'See attached', attachments: [photo, pdf] })).toEqual({
      kind: 'parts',
      parts: [
        {
          kind: 'media',
          caption: 'See attached',
          media: {
            kind: 'image',
            source: { url: 'https://files.example/photo.jpg' },
            filename: 'photo.jpg',
            contentType: 'image/jpeg',
          },
        },
        {
          kind: 'media',
          media: {
            kind: 'document',
            source: { url: 'https://files.example/file.bin' },
            filename: 'bill.pdf',
            contentType: 'application/pdf',
          },
        },
      ],
    });
  });

  it('sends the text first where captions do not exist, do not fit, or the media takes none', () => {
    const kinds = (channel: 'messenger' | 'whatsapp', text: string, attachment: Attachment) => {
      const composed = composeReply(channel, { text, attachments: [attachment] });
      return composed.kind === 'parts'
        ? composed.parts.map((part) =>
            part.kind === 'media'
              ? `${part.media.kind}${part.caption ? '+caption' : ''}`
              : part.kind,
          )
        : composed.errorCode;
    };
    expect(kinds('messenger', 'hi', photo)).toEqual(['text', 'image']);
    expect(kinds('whatsapp', 'x'.repeat(1025), photo)).toEqual(['text', 'image']);
    expect(kinds('whatsapp', 'hi', file({ contentType: 'audio/ogg' }))).toEqual(['text', 'audio']);
    expect(kinds('whatsapp', '', photo)).toEqual(['image']);
  });

  it('prefers a platform media id where the platform takes one', () => {
    const withId = file({ contentType: 'image/png', platformMediaId: 'media-1' });
    const whatsapp = composeReply('whatsapp', { text: '', attachments: [withId] });
    expect(whatsapp.kind === 'parts' && whatsapp.parts[0]).toMatchObject({
      media: { source: { mediaId: 'media-1' } },
    });
    const instagram = composeReply('instagram', { text: '', attachments: [withId] });
    expect(instagram.kind === 'parts' && instagram.parts[0]).toMatchObject({
      media: { source: { url: 'https://files.example/file.bin' } },
    });
  });

  it('refuses, with a clear code, what the platform cannot take; never drops an attachment', () => {
    const code = (channel: Parameters<typeof composeReply>[0], attachment: Attachment) => {
      const composed = composeReply(channel, { text: 'hi', attachments: [photo, attachment] });
      return composed.kind === 'refused' ? composed.errorCode : 'sent';
    };
    expect(code('x', photo)).toBe('attachments_not_supported');
    expect(code('instagram', file({ contentType: 'application/zip' }))).toBe(
      'attachment_type_not_supported',
    );
    expect(code('instagram', pdf)).toBe('sent');
    expect(code('whatsapp', file({ contentType: 'image/png', sizeBytes: 6 * 1024 * 1024 }))).toBe(
      'attachment_too_large',
    );
    // By id the platform already holds the file: its size is not ours to check.
    expect(
      code(
        'whatsapp',
        file({ contentType: 'image/png', sizeBytes: 6 * 1024 * 1024, platformMediaId: 'm' }),
      ),
    ).toBe('sent');
    const stored = file({ platformMediaUrl: undefined, storageKey: 'tenant/abc' });
    expect(code('telegram', stored)).toBe('attachment_not_reachable');
    expect(code('telegram', file({ platformMediaUrl: 'file:///etc/passwd' }))).toBe(
      'attachment_not_reachable',
    );
    const template = { name: 'order_update', languageCode: 'en', bodyParameters: [] };
    const withTemplate = composeReply('whatsapp', { text: '', attachments: [photo], template });
    expect(withTemplate.kind === 'refused' && withTemplate.errorCode).toBe(
      'attachments_with_template_not_supported',
    );
  });

  it('sends text or a template alone when there is nothing attached', () => {
    expect(composeReply('x', { text: 'hello', attachments: [] })).toEqual({
      kind: 'parts',
      parts: [{ kind: 'text', text: 'hello' }],
    });
  });
});
