/** A setting is wrong: the message names the setting and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: ReadonlyArray<{ setting: string; message: string }>;

  constructor(
    message: string,
    options: ErrorOptions & { problems: ReadonlyArray<{ setting: string; message: string }> },
  ) {
    super(message, options);
    this.problems = options.problems;
  }
}
