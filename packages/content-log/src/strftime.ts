/**
 * The strftime subset an archive file name needs. Unknown conversions are kept as written, so
 * a typo shows in the file name instead of silently changing the rotation.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

interface Parts {
  year: number
  month: number
  day: number
  hours: number
  minutes: number
  seconds: number
  weekday: number
}

function parts(date: Date, utc: boolean): Parts {
  return utc
    ? {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth(),
        day: date.getUTCDate(),
        hours: date.getUTCHours(),
        minutes: date.getUTCMinutes(),
        seconds: date.getUTCSeconds(),
        weekday: date.getUTCDay(),
      }
    : {
        year: date.getFullYear(),
        month: date.getMonth(),
        day: date.getDate(),
        hours: date.getHours(),
        minutes: date.getMinutes(),
        seconds: date.getSeconds(),
        weekday: date.getDay(),
      }
}

function dayOfYear(p: Parts): number {
  return Math.round((Date.UTC(p.year, p.month, p.day) - Date.UTC(p.year, 0, 1)) / 86_400_000) + 1
}

/** `%Y %y %m %d %e %H %M %S %j %a %b %%`. */
export function strftime(pattern: string, date: Date, utc = false): string {
  const p = parts(date, utc)
  return pattern.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y':
        return String(p.year)
      case 'y':
        return pad(p.year % 100)
      case 'm':
        return pad(p.month + 1)
      case 'd':
        return pad(p.day)
      case 'e':
        return String(p.day).padStart(2, ' ')
      case 'H':
        return pad(p.hours)
      case 'M':
        return pad(p.minutes)
      case 'S':
        return pad(p.seconds)
      case 'j':
        return pad(dayOfYear(p), 3)
      case 'a':
        return DAYS[p.weekday]!
      case 'b':
        return MONTHS[p.month]!
      case '%':
        return '%'
      default:
        return all
    }
  })
}

/** The date of an mbox `From ` line: asctime(3), `Mon Jan  1 00:00:00 2024`. */
export function asctime(date: Date, utc = false): string {
  return strftime('%a %b %e %H:%M:%S %Y', date, utc)
}
