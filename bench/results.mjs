// bench/results.json across runs: `npm run bench -- --only X` measures figure X alone and
// replaces only it; every other figure (and its diagnosis) stays as stored, with the date and
// package of the run that measured it. bench/report.mjs renders the whole merged file.

/** Every figure, in report order; `--only` takes a comma-separated subset. */
export const FIGURES = ['size', 'startup', 'calls', 'poll', 'memory', 'batch', 'cloudflare'];

/** The figures `--only LIST` asks for (all without it); throws on an unknown name. */
export function figuresToRun(args) {
  const at = args.indexOf('--only');
  if (at < 0) return new Set(FIGURES);
  const names = (args[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !FIGURES.includes(n));
  if (!names.length || unknown.length) throw new Error(`--only takes some of ${FIGURES.join(',')} (got ${args[at + 1] ?? 'nothing'})`);
  return new Set(names);
}

/** What a run says about when and on what it measured (kept per figure). */
const provenance = (machine) => ({ date: machine?.date ?? null, wasmSha256: machine?.wasmSha256 ?? null });

/**
 * `fresh` (this run: machine, the figures and diagnosis it measured) merged into `stored` (the
 * previous results.json, or null): fresh figures replace stored ones of the same name, the rest
 * are kept. `measured[name]` says which run each figure comes from.
 */
export function mergeResults(stored, fresh) {
  const figures = {};
  const measured = {};
  for (const name of FIGURES) {
    if (fresh.figures[name] !== undefined) {
      figures[name] = fresh.figures[name];
      measured[name] = provenance(fresh.machine);
    } else if (stored?.figures?.[name] !== undefined) {
      figures[name] = stored.figures[name];
      measured[name] = stored.measured?.[name] ?? provenance(stored.machine);
    }
  }
  return {
    machine: fresh.machine,
    figures,
    measured,
    diagnosis: { ...stored?.diagnosis, ...fresh.diagnosis },
    runSeconds: fresh.runSeconds,
  };
}
