/** Scratch space of {@link latencyJson}: 100 values of up to 12 characters each, brackets and commas. */
const scratch = Buffer.allocUnsafe(2048);

/** Largest value the digit writer handles (it divides with 32-bit integer arithmetic). */
const MAX_WRITTEN_MICROS = 2 ** 31 - 1;

/** Writes the decimal digits of a non-negative integer below 2^31 at `at`; returns the end. */
function writeDigits(at: number, n: number): number {
  let end = at + 1;
  for (let rest = n; rest >= 10; rest = (rest / 10) | 0) end++;
  let position = end;
  let rest = n;
  do {
    const quotient = (rest / 10) | 0;
    scratch[--position] = 48 + rest - quotient * 10;
    rest = quotient;
  } while (rest > 0);
  return end;
}

/**
 * The JSON of latency values given in whole microseconds, as milliseconds: exactly what
 * `JSON.stringify(micros / 1000)` writes (no trailing zeros, no exponent), a bare number for one value
 * and an array for more. Written digit by digit: number-to-string conversion of fractional doubles was
 * most of the cost of a document (~60 ns per value, against ~5).
 */
export function latencyJson(micros: readonly number[]): string {
  if (micros.some((us) => !(us >= 0 && us <= MAX_WRITTEN_MICROS && Number.isInteger(us)))) {
    const values = micros.map((us) => us / 1000);
    return values.length === 1 ? String(values[0]) : `[${values.join(",")}]`;
  }
  let at = 0;
  if (micros.length > 1) scratch[at++] = 91; // [
  for (let i = 0; i < micros.length; i++) {
    if (i > 0) scratch[at++] = 44; // ,
    const us = micros[i] as number;
    const whole = (us / 1000) | 0;
    const fraction = us - whole * 1000;
    at = writeDigits(at, whole);
    if (fraction === 0) continue;
    scratch[at++] = 46; // .
    const tenths = (fraction / 100) | 0;
    const hundredths = ((fraction - tenths * 100) / 10) | 0;
    const thousandths = fraction - tenths * 100 - hundredths * 10;
    scratch[at++] = 48 + tenths;
    if (hundredths === 0 && thousandths === 0) continue;
    scratch[at++] = 48 + hundredths;
    if (thousandths !== 0) scratch[at++] = 48 + thousandths;
  }
  if (micros.length > 1) scratch[at++] = 93; // ]
  return scratch.toString("latin1", 0, at);
}
