import { RelayDeliveryError } from './mail-transport';
import { toRelayError } from './nodemailer-mail-transport';

describe('toRelayError', () => {
  it('treats 5xx as permanent, 4xx and connection errors as worth retrying', () => {
    const permanent = toRelayError(
      Object.assign(new Error('x'), { responseCode: 554, response: '554 5.7.1 spam' }),
    );
    expect(permanent).toMatchObject({ permanent: true, smtpCode: 554, message: '554 5.7.1 spam' });
    expect(toRelayError(Object.assign(new Error('x'), { responseCode: 421 }))).toMatchObject({
      permanent: false,
      smtpCode: 421,
    });
    const refused = toRelayError(Object.assign(new Error('connect refused'), { code: 'ESOCKET' }));
    expect(refused).toBeInstanceOf(RelayDeliveryError);
    expect(refused).toMatchObject({ permanent: false, message: 'ESOCKET: connect refused' });
    expect(refused.smtpCode).toBeUndefined();
  });
});
