import { type BusinessHours, businessHoursSchema, isWithinBusinessHours } from './business-hours';

const hours = (input: unknown): BusinessHours => businessHoursSchema.parse(input);
const at = (iso: string): Date => new Date(iso);
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];

describe('isWithinBusinessHours', () => {
  const berlinOffice = hours({
    timeZone: 'Europe/Berlin',
    weekly: [{ days: WEEKDAYS, open: '09:00', close: '17:00' }],
  });

  it('reads the wall clock of the queue’s zone, in winter and in summer time', () => {
    // Monday 5 January 2026 (CET, UTC+1) and Monday 6 July 2026 (CEST, UTC+2), both 09:30 local.
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T08:30:00Z'))).toBe(true);
    expect(isWithinBusinessHours(berlinOffice, at('2026-07-06T07:30:00Z'))).toBe(true);
    // 08:30 local in both seasons: closed, although the UTC time matches the other season's 09:30.
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T07:30:00Z'))).toBe(false);
    expect(isWithinBusinessHours(berlinOffice, at('2026-07-06T06:30:00Z'))).toBe(false);
  });

  it('opens at the opening minute and closes at the closing minute', () => {
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T07:59:59Z'))).toBe(false);
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T08:00:00Z'))).toBe(true);
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T15:59:59Z'))).toBe(true);
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-05T16:00:00Z'))).toBe(false);
    // Saturday 10 January 2026, midday: not a listed day.
    expect(isWithinBusinessHours(berlinOffice, at('2026-01-10T11:00:00Z'))).toBe(false);
  });

  it('handles the spring-forward night (New York, 8 March 2026, 02:00 → 03:00)', () => {
    const night = hours({
      timeZone: 'America/New_York',
      weekly: [{ days: ['sun'], open: '01:00', close: '04:00' }],
    });
    expect(isWithinBusinessHours(night, at('2026-03-08T05:59:00Z'))).toBe(false); // 00:59 EST
    expect(isWithinBusinessHours(night, at('2026-03-08T06:30:00Z'))).toBe(true); // 01:30 EST
    expect(isWithinBusinessHours(night, at('2026-03-08T07:30:00Z'))).toBe(true); // 03:30 EDT
    expect(isWithinBusinessHours(night, at('2026-03-08T08:00:00Z'))).toBe(false); // 04:00 EDT
    // The interval is two real hours long that night: 06:00Z to 08:00Z.
    const office = hours({
      timeZone: 'America/New_York',
      weekly: [{ days: WEEKDAYS, open: '09:00', close: '17:00' }],
    });
    expect(isWithinBusinessHours(office, at('2026-03-06T13:30:00Z'))).toBe(false); // Fri 08:30 EST
    expect(isWithinBusinessHours(office, at('2026-03-09T13:30:00Z'))).toBe(true); // Mon 09:30 EDT
  });

  it('handles the fall-back night (New York, 1 November 2026, 01:00–02:00 twice)', () => {
    const early = hours({
      timeZone: 'America/New_York',
      weekly: [{ days: ['sun'], open: '00:00', close: '01:30' }],
    });
    expect(isWithinBusinessHours(early, at('2026-11-01T05:15:00Z'))).toBe(true); // 01:15 EDT
    expect(isWithinBusinessHours(early, at('2026-11-01T06:15:00Z'))).toBe(true); // 01:15 EST
    expect(isWithinBusinessHours(early, at('2026-11-01T06:45:00Z'))).toBe(false); // 01:45 EST
  });

  it('runs an overnight interval into the next morning, on the days it starts', () => {
    const nights = hours({
      timeZone: 'Europe/London',
      weekly: [{ days: WEEKDAYS, open: '22:00', close: '06:00' }],
    });
    // January: London is on UTC. Friday 9 January 2026.
    expect(isWithinBusinessHours(nights, at('2026-01-09T21:59:00Z'))).toBe(false);
    expect(isWithinBusinessHours(nights, at('2026-01-09T23:00:00Z'))).toBe(true);
    expect(isWithinBusinessHours(nights, at('2026-01-10T05:59:00Z'))).toBe(true); // Sat, Friday's night
    expect(isWithinBusinessHours(nights, at('2026-01-10T06:00:00Z'))).toBe(false);
    expect(isWithinBusinessHours(nights, at('2026-01-10T23:00:00Z'))).toBe(false); // Sat night
    expect(isWithinBusinessHours(nights, at('2026-01-12T05:00:00Z'))).toBe(false); // Sun night
    expect(isWithinBusinessHours(nights, at('2026-01-12T22:30:00Z'))).toBe(true); // Mon night
  });

  it('stays closed on closed dates, letting the night before run to its end', () => {
    const shop = hours({
      timeZone: 'Europe/Berlin',
      weekly: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '09:00', close: '17:00' },
        { days: ['wed'], open: '22:00', close: '02:00' },
      ],
      closedDates: ['2026-12-24'],
    });
    expect(isWithinBusinessHours(shop, at('2026-12-23T12:00:00Z'))).toBe(true); // Wed 13:00
    expect(isWithinBusinessHours(shop, at('2026-12-24T00:30:00Z'))).toBe(true); // Wed's night
    expect(isWithinBusinessHours(shop, at('2026-12-24T12:00:00Z'))).toBe(false); // closed date
    expect(isWithinBusinessHours(shop, at('2026-12-25T12:00:00Z'))).toBe(true);
  });

  it('is open around the clock when an interval opens and closes at the same time', () => {
    const always = hours({
      timeZone: 'Asia/Tokyo',
      weekly: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '00:00' },
      ],
    });
    for (const hour of ['00', '07', '15', '23'])
      expect(isWithinBusinessHours(always, at(`2026-05-05T${hour}:59:59Z`))).toBe(true);
    const fullDay = hours({
      timeZone: 'UTC',
      weekly: [{ days: ['tue'], open: '00:00', close: '24:00' }],
    });
    expect(isWithinBusinessHours(fullDay, at('2026-05-05T23:59:59Z'))).toBe(true); // Tuesday
    expect(isWithinBusinessHours(fullDay, at('2026-05-06T00:00:00Z'))).toBe(false);
  });
});

describe('businessHoursSchema', () => {
  const issues = (input: unknown): string[] => {
    const result = businessHoursSchema.safeParse(input);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('names the field of bad input', () => {
    expect(
      issues({
        timeZone: 'Mars/Olympus',
        weekly: [{ days: ['mon'], open: '9:00', close: '25:00' }],
      }),
    ).toEqual([
      'timeZone: must be an IANA time zone, e.g. Europe/Berlin',
      'weekly.0.open: must be a time "HH:MM" between 00:00 and 24:00',
      'weekly.0.close: must be a time "HH:MM" between 00:00 and 24:00',
    ]);
    expect(issues({ timeZone: 'UTC', weekly: [], closedDates: ['24.12.2026'] })).toEqual([
      'weekly: must list at least one interval',
      'closedDates.0: must be a date YYYY-MM-DD',
    ]);
  });
});
