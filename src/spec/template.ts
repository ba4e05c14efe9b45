import { parse as parseYaml, YAMLParseError } from 'yaml';

/**
 * Object templates: YAML files with `{{name}}` placeholders, replaced as text before the
 * YAML is parsed (so `replicas: {{replicas}}` becomes a number). The variables kbench
 * provides are listed in TEMPLATE_VARIABLES; a workload adds its own with `vars:`.
 */
export const TEMPLATE_VARIABLES: Record<string, string> = {
  index: 'Index of the object within the phase, from 0 (continues across repeats)',
  name: 'The object name kbench chooses: <phase>-<index>',
  namespace: 'The namespace the object goes to (sharded)',
  runId: 'The run id (also in the kbench.io/run label)',
  workload: 'The workload name',
  phase: 'The phase name',
  random: 'Five random lowercase letters and digits, from the run seed',
};

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface TemplateProblem {
  line: number;
  col: number;
  message: string;
}

/** The placeholders used in a template, with where each first appears. */
export function placeholders(text: string): Map<string, { line: number; col: number }> {
  const out = new Map<string, { line: number; col: number }>();
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (out.has(name)) continue;
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    const col = m.index! - before.lastIndexOf('\n');
    out.set(name, { line, col });
  }
  return out;
}

export function substitute(text: string, vars: Readonly<Record<string, string | number | boolean>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Renders and parses a template; throws TemplateError with a line on bad YAML. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string | number | boolean>>): Record<string, unknown> {
  const rendered = substitute(text, vars);
  let value: unknown;
  try {
    value = parseYaml(rendered);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      throw new TemplateError(pos?.line ?? 1, pos?.col ?? 1, e.message.split('\n')[0]!);
    }
    throw e;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TemplateError(1, 1, 'a template must be one YAML mapping (a Kubernetes object)');
  }
  return value as Record<string, unknown>;
}

export class TemplateError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(message);
  }
}

/** The variables that differ per object; the rest are fixed for a phase. */
const PER_OBJECT = ['index', 'name', 'namespace', 'random'] as const;
type PerObject = (typeof PER_OBJECT)[number];
const SENTINEL = (n: string): string => `__kbench_${n}__`;
const SENTINEL_RE = /__kbench_(index|name|namespace|random)__/g;

export type ObjectVars = Readonly<Record<PerObject, string | number>>;

/**
 * A template parsed once per phase: the phase's fixed variables are put in as text (so
 * `replicas: {{replicas}}` is a number), the per-object ones (index, name, namespace,
 * random) become markers, and each object is the parsed tree copied with its values in.
 * A value that is a whole YAML scalar keeps its type (index is a number).
 */
export function compileTemplate(text: string, fixed: Readonly<Record<string, string | number | boolean>>): (vars: ObjectVars) => Record<string, unknown> {
  const marked = text.replace(PLACEHOLDER, (whole, name: string) => ((PER_OBJECT as readonly string[]).includes(name) ? SENTINEL(name) : name in fixed ? String(fixed[name]) : whole));
  const tree = renderTemplate(marked, {});
  const fill = (v: unknown, vars: ObjectVars): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('__kbench_')) return v;
      const whole = /^__kbench_(index|name|namespace|random)__$/.exec(v);
      if (whole) return vars[whole[1] as PerObject];
      return v.replace(SENTINEL_RE, (_, n: PerObject) => String(vars[n]));
    }
    if (Array.isArray(v)) return v.map((x) => fill(x, vars));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k.includes('__kbench_') ? (fill(k, vars) as string) : k] = fill(x, vars);
      return out;
    }
    return v;
  };
  return (vars) => fill(tree, vars) as Record<string, unknown>;
}
