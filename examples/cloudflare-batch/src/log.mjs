// Structured logs for Workers Logs ([observability] in wrangler.toml): every decision at debug
// level with its `why`, every anomaly (a possible double charge, a lost message, a consumer that
// died mid-POST, a picture that could not be stored) as an error. One object per line.
export const debug = (event, fields = {}) => console.debug({ level: 'debug', event, ...fields });
export const anomaly = (event, fields = {}) => console.error({ level: 'error', event, ...fields });
export const warn = (event, fields = {}) => console.warn({ level: 'warn', event, ...fields });
