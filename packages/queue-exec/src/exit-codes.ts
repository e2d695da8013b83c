/**
 * What a program's exit means for the client.
 *
 * qmail-queue (qmail-queue(8)): 0 queued; 11–40 permanent; anything else temporary. The texts
 * and enhanced codes follow the meanings qmail gives each code (qmail-smtpd's replies).
 * sendmail (sysexits.h): 0 accepted; 75 EX_TEMPFAIL temporary; other codes permanent, with the
 * enhanced code of their sysexits meaning (as Postfix's pipe(8) maps them).
 * A program killed by a signal (crash, our deadline) is always temporary: it may not have
 * finished, and only the client's retry is safe.
 */
import { type Deny, type DenySoft, deny, denysoft, type EnhancedCode, type Verdict } from '@postern/core'
import type { ExecMode } from './options.js'

type Entry = readonly [EnhancedCode, string]

const QMAIL: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  [11, ['5.1.3', 'Envelope address too long for the queue']],
  [31, ['5.3.0', 'Mail server permanently rejected the message']],
  [51, ['4.3.0', 'Queue out of memory']],
  [52, ['4.3.0', 'Queue timed out']],
  [53, ['4.3.0', 'Queue write error']],
  [54, ['4.3.0', 'Queue could not read the message or envelope']],
  [55, ['4.3.0', 'Queue could not read a configuration file']],
  [56, ['4.3.0', 'Queue network problem']],
  [61, ['4.3.0', 'Queue trouble in its home directory']],
  [62, ['4.3.0', 'Queue trouble creating files']],
  [63, ['4.3.0', 'Queue trouble creating files']],
  [64, ['4.3.0', 'Queue trouble creating files']],
  [65, ['4.3.0', 'Queue trouble creating files']],
  [66, ['4.3.0', 'Queue trouble creating files']],
  [71, ['4.3.0', 'Mail server temporarily rejected the message']],
  [72, ['4.4.1', 'Connection to the mail server timed out']],
  [73, ['4.4.1', 'Connection to the mail server rejected']],
  [74, ['4.4.2', 'Communication with the mail server failed']],
  [81, ['4.3.0', 'Queue internal bug']],
  [91, ['4.3.0', 'Queue envelope format error']],
])

const SYSEXITS: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  [64, ['5.3.0', 'Command line usage error']],
  [65, ['5.6.0', 'Data format error']],
  [66, ['5.3.0', 'Cannot open input']],
  [67, ['5.1.1', 'User unknown']],
  [68, ['5.1.2', 'Host name unknown']],
  [69, ['5.3.0', 'Service unavailable']],
  [70, ['5.3.0', 'Internal software error']],
  [71, ['5.3.0', 'System error']],
  [72, ['5.3.0', 'Critical OS file missing']],
  [73, ['5.2.0', 'Cannot create output file']],
  [74, ['5.3.0', 'Input/output error']],
  [75, ['4.3.0', 'Temporary failure, try again later']],
  [76, ['5.5.0', 'Remote error in protocol']],
  [77, ['5.7.0', 'Permission denied']],
  [78, ['5.3.5', 'Local configuration error']],
])

/** The verdict for a non-zero exit code. */
export function exitVerdict(mode: ExecMode, code: number): Verdict<Deny | DenySoft> {
  if (mode === 'qmail-queue') {
    const known = QMAIL.get(code)
    const permanent = code >= 11 && code <= 40
    const [enhanced, text] =
      known ?? (permanent ? ['5.3.0', 'Queue permanent problem'] : ['4.3.0', 'Queue temporary problem'])
    const message = `${text} (#${code})`
    return permanent ? deny(message, enhanced, 554) : denysoft(message, enhanced, 451)
  }
  const [enhanced, text] = SYSEXITS.get(code) ?? ['5.3.0', 'Delivery program failed']
  const message = `${text} (exit ${code})`
  return code === 75 ? denysoft(message, enhanced, 451) : deny(message, enhanced, 554)
}

/** The verdict for a program that died of a signal or could not run: always temporary. */
export function crashVerdict(why: string): Verdict<DenySoft> {
  return denysoft(`Queue program ${why}, try again later`, '4.3.0', 451)
}
