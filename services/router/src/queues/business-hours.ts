import { z } from 'zod';

/**
 * Business hours of a queue: weekly opening intervals in the queue's IANA time zone, plus dates on
 * which it stays closed. Evaluated on the wall clock of that zone (through Intl, so daylight-saving
 * changes need no special case): "09:00–17:00" means 09:00 to 17:00 local time, winter and summer.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clockTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, {
  error: 'must be a time "HH:MM" between 00:00 and 24:00',
});

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const openingIntervalSchema = z.object({
  days: z.array(z.enum(WEEKDAYS)).min(1, { error: 'must name at least one day' }),
  /** Local opening time. */
  open: clockTime,
  /**
   * Local closing time; at or before `open` the interval runs overnight into the next day
   * (22:00–06:00), and open = close means open around the clock.
   */
  close: clockTime,
});
export type OpeningInterval = z.infer<typeof openingIntervalSchema>;

export const businessHoursSchema = z.object({
  timeZone: z
    .string()
    .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Berlin' }),
  weekly: z.array(openingIntervalSchema).min(1, { error: 'must list at least one interval' }),
  /**
   * Local dates (YYYY-MM-DD) without opening: intervals that start on such a date do not happen
   * (an overnight interval of the day before still runs to its end).
   */
  closedDates: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' }))
    .default([]),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;

interface LocalMoment {
  date: string;
  weekday: Weekday;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localMoment(timeZone: string, at: Date): LocalMoment {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) parts[part.type] = part.value;
  const weekday = (parts['weekday'] ?? '').toLowerCase().slice(0, 3) as Weekday;
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    weekday,
    minutes: Number(parts['hour']) * 60 + Number(parts['minute']),
  };
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function previousDay(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
}

/** The local calendar date before `date` (YYYY-MM-DD), computed on the calendar, not in a zone. */
function previousDate(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

/** Whether the queue is open at `at`, on the wall clock of its time zone. */
export function isWithinBusinessHours(hours: BusinessHours, at: Date): boolean {
  const now = localMoment(hours.timeZone, at);
  const closed = new Set(hours.closedDates);
  const yesterday = previousDay(now.weekday);
  const yesterdayClosed = closed.has(previousDate(now.date));
  const todayClosed = closed.has(now.date);
  return hours.weekly.some((interval) => {
    const open = minutesOf(interval.open);
    const close = minutesOf(interval.close);
    if (open === close) {
      // Around the clock on its days (a closed date still closes it).
      return interval.days.includes(now.weekday) && !todayClosed;
    }
    if (open < close) {
      return (
        interval.days.includes(now.weekday) &&
        !todayClosed &&
        now.minutes >= open &&
        now.minutes < close
      );
    }
    // Overnight: the evening part belongs to today, the early-morning part to yesterday's interval.
    const eveningOfToday =
      interval.days.includes(now.weekday) && !todayClosed && now.minutes >= open;
    const morningAfterYesterday =
      interval.days.includes(yesterday) && !yesterdayClosed && now.minutes < close;
    return eveningOfToday || morningAfterYesterday;
  });
}
