/** A configuration problem, described in one line that names the offending variable. */
export class ConfigValidationError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigValidationError';
  }
}
