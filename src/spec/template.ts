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
