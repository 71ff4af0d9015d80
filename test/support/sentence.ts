/**
 * What keeps `message` from being a sentence a person can be shown: a stack, an object printed as
 * `[object Object]`, a missing value printed as `undefined` (outside a quotation), a line break (a library's multi-line
 * report), a lower-case start, no full stop at the end, or a length no one reads. Empty when fine.
 */
export function sentenceProblems(message: string): string[] {
  const problems: string[] = [];
  if (message.trim() === '') return ['the message is empty'];
  if (/\n\s+at /.test(message) || /^\s*at .+:\d+:\d+\)?$/m.test(message)) problems.push('it carries a stack trace');
  if (message.includes('[object Object]')) problems.push('it prints an object as [object Object]');
  // A library's own words may be quoted ('TensorFlow.js: "… but got undefined"'); ours may not say it.
  if (/\bundefined\b/.test(message.replace(/"[^"]*"/g, '""'))) problems.push('it prints "undefined"');
  if (/[\r\n]/.test(message)) problems.push('it spans several lines');
  if (/^[a-z\s]/.test(message)) problems.push('it does not start with a capital letter or a path');
  if (!/[.!?]["')\]]?$/.test(message.trimEnd())) problems.push('it does not end with a full stop');
  if (message.length > 2000) problems.push(`it is ${message.length} characters long`);
  return problems;
}
