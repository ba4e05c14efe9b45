import { parseDocument, parse as parseYaml, visit, YAMLParseError } from 'yaml';

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
    value = parseYaml(rendered, { maxAliasCount: 100 });
  } catch (e) {
    const pos = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
    throw new TemplateError(pos?.line ?? 1, pos?.col ?? 1, (e as Error).message.split('\n')[0]!);
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
/** A plain (unquoted) scalar that was exactly one placeholder: it takes the type YAML gives its value. */
const PLAIN = '\u0000plain:';

export type ObjectVars = Readonly<Record<PerObject, string | number>>;

/**
 * A template parsed once per phase: the phase's fixed variables are put in as text (so
 * `replicas: {{replicas}}` is a number), the per-object ones (index, name, namespace,
 * random) become markers, and each object is the parsed tree copied with its values in.
 * The result is what substituting the text and parsing it would give: an unquoted
 * `{{index}}` is a number, a quoted `"{{index}}"` a string.
 */
export function compileTemplate(text: string, fixed: Readonly<Record<string, string | number | boolean>>): (vars: ObjectVars) => Record<string, unknown> {
  const marked = text.replace(PLACEHOLDER, (whole, name: string) => ((PER_OBJECT as readonly string[]).includes(name) ? SENTINEL(name) : name in fixed ? String(fixed[name]) : whole));
  const doc = parseDocument(marked);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TemplateError(e.linePos?.[0]?.line ?? 1, e.linePos?.[0]?.col ?? 1, e.message.split('\n')[0]!);
  }
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && typeof node.value === 'string' && /^__kbench_(index|name|namespace|random)__$/.test(node.value)) node.value = PLAIN + node.value;
    },
  });
  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw new TemplateError(1, 1, (e as Error).message.split('\n')[0]!);
  }
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) throw new TemplateError(1, 1, 'a template must be one YAML mapping (a Kubernetes object)');
  const typed = (v: string | number): unknown => (typeof v === 'number' ? v : (parseYaml(v) as unknown));
  const fill = (v: unknown, vars: ObjectVars): unknown => {
    if (typeof v === 'string') {
      if (v.startsWith(PLAIN)) return typed(vars[v.slice(PLAIN.length + 9, -2) as PerObject]);
      if (!v.includes('__kbench_')) return v;
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
