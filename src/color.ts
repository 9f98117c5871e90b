import { ENV } from './environment';

/** Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR turns it on. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env[ENV.forceColor];
  const noColor = env[ENV.noColor];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (noColor !== undefined && noColor !== '') return false;
  if (force === '0' || force === 'false') return false;
  return stream.isTTY === true && env[ENV.term] !== 'dumb';
}
