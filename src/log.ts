// The process logger: JSON lines on stdout (pino). Never pass secrets to it.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'fumidai' }, timestamp: pino.stdTimeFunctions.isoTime });
}
