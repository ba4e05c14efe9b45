import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, parse as parseYaml, type Document, type Node } from 'yaml';
import { parseDuration } from '../util/duration.js';
import { typeForKind } from '../cluster/resources.js';
import { ACTIONS, MAX_OPERATIONS, type PhaseSpec, WORKLOAD_SCHEMA, type WorkloadSpec } from './schema.js';
import { DURATION, QUANTITY, readSimSetting, type SimSettingKey } from './sim-settings.js';
import { placeholders, renderTemplate, TEMPLATE_VARIABLES, TemplateError } from './template.js';

/** One problem in a spec, located as precisely as the source allows. */
export interface SpecError {
  file: string;
  line?: number;
  col?: number;
  /** Dotted path of the field, e.g. phases[2].create.count. */
  field?: string;
  message: string;
}

export function formatSpecError(e: SpecError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}:${e.col ?? 1}` : e.file;
  return `${where}: ${e.field ? `${e.field}: ` : ''}${e.message}`;
}

export interface LoadedTemplate {
  /** Path as written in the workload (relative to it). */
  ref: string;
  file: string;
  text: string;
}

export interface LoadedWorkload {
  file: string;
  /** sha256 of the workload file as read (before --set). */
  sha256: string;
  spec: WorkloadSpec;
  templates: Map<string, LoadedTemplate>;
  overrides: string[];
}

export type LoadResult = { ok: true; workload: LoadedWorkload } | { ok: false; errors: SpecError[] };

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(WORKLOAD_SCHEMA);

type PathSeg = string | number;

function fieldName(p: readonly PathSeg[]): string {
  let out = '';
  for (const s of p) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/** `phases[0].create.count` -> ['phases', 0, 'create', 'count'] */
export function parseFieldPath(expr: string): PathSeg[] | undefined {
  const out: PathSeg[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\./gy;
  let last = 0;
  for (let m = re.exec(expr); m; m = re.exec(expr)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    last = re.lastIndex;
  }
  return last === expr.length && out.length > 0 ? out : undefined;
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly overridden: Map<string, string>,
  ) {}

  /** The deepest existing node on the path, for the error's line and column. */
  at(p: readonly PathSeg[], message: string): SpecError {
    const field = fieldName(p);
    for (const [set, expr] of this.overridden) {
      if (field === set || field.startsWith(`${set}.`) || field.startsWith(`${set}[`)) {
        return { file: `--set ${expr}`, field, message };
      }
    }
    // Point at the field's key when the field exists in a mapping (that is where a reader looks).
    if (p.length > 0 && typeof p[p.length - 1] === 'string') {
      const parent = this.doc.getIn(p.slice(0, -1), true) as Node | undefined;
      if (parent && isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p[p.length - 1]);
        if (pair && isScalar(pair.key) && pair.key.range) {
          const pos = this.lines.linePos(pair.key.range[0]);
          return { file: this.file, line: pos.line, col: pos.col, field: field || undefined, message };
        }
      }
    }
    for (let n = p.length; n >= 0; n--) {
      const node = this.doc.getIn(p.slice(0, n), true) as Node | undefined;
      if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return { file: this.file, line: pos.line, col: pos.col, field: field || undefined, message };
      }
    }
    return { file: this.file, field: field || undefined, message };
  }
}

function ajvMessage(e: ErrorObject): { path: PathSeg[]; message: string } {
  const p: PathSeg[] = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...p, String(e.params.additionalProperty)], message: `unknown field "${String(e.params.additionalProperty)}"` };
    case 'required':
      return { path: p, message: `missing required field "${String(e.params.missingProperty)}"` };
    case 'enum':
      return { path: p, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern': {
      const pattern = String(e.params.pattern);
      const message =
        pattern === DURATION.pattern
          ? 'must be a duration like 800ms, 5s, 2m, 1h'
          : pattern === QUANTITY.pattern
            ? 'must be a Kubernetes quantity like 4, 3500m, 16Gi'
            : 'must be lowercase letters, digits and "-", starting and ending with a letter or digit';
      return { path: p, message };
    }
    default:
      return { path: p, message: e.message ?? e.keyword };
  }
}

/**
 * A --set path that indexes a list past its end (phases[99] of 9 phases) would make
 * YAML fill the gap with nulls, each an error of its own: one error says it instead.
 */
function pastTheEnd(doc: Document, p: readonly PathSeg[]): string | undefined {
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    if (typeof seg !== 'number') continue;
    const node = doc.getIn(p.slice(0, i), true) as Node | undefined;
    const len = node && isSeq(node) ? node.items.length : 0;
    if (seg > len) return `${fieldName(p.slice(0, i))} has ${len} item${len === 1 ? '' : 's'} (${len === 0 ? 'none' : `0..${len - 1}`}); index ${seg} is past its end (${len} adds one)`;
  }
  return undefined;
}

/**
 * Reads a workload file, applies --set overrides, and checks it: YAML syntax, the schema,
 * then what a schema cannot say (one action per phase, phase references, templates and
 * their variables, durations). Every error names the file, line and field.
 */
export function loadWorkload(file: string, overrides: readonly string[] = []): LoadResult {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    return { ok: false, errors: [{ file, message: `cannot read the workload file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const overridden = new Map<string, string>();
  const errors: SpecError[] = [];
  for (const expr of overrides) {
    const eq = expr.indexOf('=');
    const p = eq > 0 ? parseFieldPath(expr.slice(0, eq)) : undefined;
    if (!p) {
      errors.push({ file: `--set ${expr}`, message: 'expected path=value, e.g. sim.storage=etcd or phases[0].create.count=10' });
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(expr.slice(eq + 1), { maxAliasCount: 10 });
    } catch {
      value = expr.slice(eq + 1);
    }
    const past = pastTheEnd(doc, p);
    if (past) {
      errors.push({ file: `--set ${expr}`, message: past });
      continue;
    }
    try {
      doc.setIn(p, doc.createNode(value));
    } catch (e) {
      // A name where the workload has a list (phases.x), or a field of a plain value.
      errors.push({ file: `--set ${expr}`, message: `cannot set ${fieldName(p)}: ${(e as Error).message.split('\n')[0]} (lists are indexed like phases[0])` });
      continue;
    }
    overridden.set(fieldName(p), expr);
  }
  if (errors.length > 0) return { ok: false, errors };
  const loc = new Locator(doc, lines, file, overridden);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (e) {
    // An alias bomb ("billion laughs") expands beyond any workload's size: refused, not expanded.
    return { ok: false, errors: [{ file, message: `YAML: ${(e as Error).message.split('\n')[0]} (too many aliases: a workload never needs that many)` }] };
  }
  if (!validateSchema(raw)) {
    const seen = new Set<string>();
    for (const e of validateSchema.errors ?? []) {
      // A oneOf/if failure repeats its branches' errors; one line per field and message.
      const { path: p, message } = ajvMessage(e);
      const key = `${fieldName(p)}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(loc.at(p, message));
    }
    return { ok: false, errors };
  }
  const spec = raw as WorkloadSpec;
  const templates = new Map<string, LoadedTemplate>();
  checkSemantics(spec, abs, loc, templates, errors, file);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    workload: { file: abs, sha256: createHash('sha256').update(text).digest('hex'), spec, templates, overrides: [...overrides] },
  };
}

function safeMs(v: string): number | undefined {
  try {
    return parseDuration(v);
  } catch {
    return undefined;
  }
}

function checkDuration(value: string | undefined, p: PathSeg[], loc: Locator, errors: SpecError[]): void {
  if (value === undefined) return;
  try {
    parseDuration(value);
  } catch (e) {
    errors.push(loc.at(p, (e as Error).message));
  }
}

export function actionOf(phase: PhaseSpec): (typeof ACTIONS)[number] | undefined {
  return ACTIONS.find((a) => phase[a] !== undefined);
}

function checkSemantics(spec: WorkloadSpec, abs: string, loc: Locator, templates: Map<string, LoadedTemplate>, errors: SpecError[], file: string): void {
  const creates = new Map<string, number>();
  const names = new Set<string>();
  spec.phases.forEach((phase, i) => {
    const at = ['phases', i];
    const actions = ACTIONS.filter((a) => phase[a] !== undefined);
    if (actions.length !== 1) {
      errors.push(loc.at(at, actions.length === 0 ? `a phase needs one action: ${ACTIONS.join(', ')}` : `a phase has one action, this one has ${actions.join(' and ')}`));
    }
    if (names.has(phase.name)) errors.push(loc.at([...at, 'name'], `phase name "${phase.name}" is used twice`));
    names.add(phase.name);
    if (phase.workers !== undefined && phase.arrivalRate !== undefined) {
      errors.push(loc.at([...at, 'arrivalRate'], 'choose workers (closed loop) or arrivalRate (open loop), not both'));
    }
    if (phase.batch) checkDuration(phase.batch.interval, [...at, 'batch', 'interval'], loc, errors);
    if (phase.sleep !== undefined) checkDuration(phase.sleep, [...at, 'sleep'], loc, errors);
    if (phase.wait?.timeout) checkDuration(phase.wait.timeout, [...at, 'wait', 'timeout'], loc, errors);
    for (const action of ['get', 'patch', 'update', 'scale', 'delete', 'wait'] as const) {
      const from = (phase[action] as { from?: string } | undefined)?.from;
      if (from !== undefined && !creates.has(from)) {
        errors.push(loc.at([...at, action, 'from'], `"${from}" is not an earlier create phase (create phases so far: ${[...creates.keys()].join(', ') || 'none'})`));
      }
    }
    if (phase.scale?.from !== undefined && creates.has(phase.scale.from)) {
      const tpl = templates.get(spec.phases[creates.get(phase.scale.from)!]!.create!.template);
      if (tpl && !/kind:\s*(Deployment|ReplicaSet)\b/.test(tpl.text)) {
        errors.push(loc.at([...at, 'scale', 'from'], `phase "${phase.scale.from}" does not create Deployments or ReplicaSets: nothing to scale`));
      }
    }
    if (phase.create) {
      creates.set(phase.name, i);
      checkTemplate(phase, i, abs, loc, templates, errors, file);
    }
  });
  if (spec.measurements?.pods === false) {
    spec.phases.forEach((phase, i) => {
      if (phase.wait) errors.push(loc.at(['phases', i, 'wait'], 'a wait phase watches pods, and measurements.pods is false: turn the pods measurement on or remove the wait'));
    });
  }
  checkDuration(spec.timeout, ['timeout'], loc, errors);
  if (spec.timeout !== undefined && safeMs(spec.timeout) === 0) errors.push(loc.at(['timeout'], 'must be longer than 0s (the run would fail at once)'));
  spec.phases.forEach((phase, i) => {
    if (phase.wait?.timeout !== undefined && safeMs(phase.wait.timeout) === 0) errors.push(loc.at(['phases', i, 'wait', 'timeout'], 'must be longer than 0s'));
    const count = (phase.create?.count ?? 1) * (phase.repeat ?? 1);
    if (count > MAX_OPERATIONS) errors.push(loc.at(['phases', i, 'repeat'], `count x repeat is ${count}; a phase makes at most ${MAX_OPERATIONS} objects`));
  });
  for (const [k, v] of Object.entries(spec.slo ?? {})) {
    if (typeof v === 'string') checkDuration(v, ['slo', k], loc, errors);
  }
  for (const [k, v] of Object.entries(spec.sim ?? {})) {
    const r = readSimSetting(k as SimSettingKey, v);
    if (!r.ok) errors.push(loc.at(['sim', k], r.message));
  }
  checkDuration(spec.collect?.interval, ['collect', 'interval'], loc, errors);
  checkSources(spec, loc, errors);
}

/** What each source type needs beyond the schema (credential files are checked at run time). */
function checkSources(spec: WorkloadSpec, loc: Locator, errors: SpecError[]): void {
  const names = new Set<string>();
  (spec.collect?.sources ?? []).forEach((s, i) => {
    const at = ['collect', 'sources', i];
    if (names.has(s.name)) errors.push(loc.at([...at, 'name'], `source name "${s.name}" is used twice`));
    names.add(s.name);
    if (s.type === 'url' || s.type === 'prometheus') {
      if (!s.url) errors.push(loc.at(at, `a ${s.type} source needs url`));
      else if (!/^https?:\/\/[^/]/.test(s.url)) errors.push(loc.at([...at, 'url'], `"${s.url}" is not an http(s) URL`));
    }
    if ((s.type === 'url' || s.type === 'pod-proxy') && !s.component) errors.push(loc.at(at, `a ${s.type} source needs component (apiserver, scheduler, etcd, controller-manager)`));
    if (s.type === 'pod-proxy') {
      if (!s.port) errors.push(loc.at(at, 'a pod-proxy source needs port (10259 for kube-scheduler)'));
      if (!s.pod && !s.lease) errors.push(loc.at(at, 'a pod-proxy source needs pod, or lease (kube-scheduler) to find the active pod'));
    }
    if (s.type !== 'prometheus' && (s.queries || s.rateWindow)) errors.push(loc.at([...at, s.queries ? 'queries' : 'rateWindow'], 'only prometheus sources take queries and rateWindow'));
    if (s.rateWindow !== undefined) checkDuration(s.rateWindow, [...at, 'rateWindow'], loc, errors);
  });
}

function checkTemplate(phase: PhaseSpec, i: number, abs: string, loc: Locator, templates: Map<string, LoadedTemplate>, errors: SpecError[], file: string): void {
  const create = phase.create!;
  const at: PathSeg[] = ['phases', i, 'create', 'template'];
  const tplFile = path.resolve(path.dirname(abs), create.template);
  if (!existsSync(tplFile)) {
    errors.push(loc.at(at, `template file ${create.template} not found (looked for ${tplFile})`));
    return;
  }
  const text = readFileSync(tplFile, 'utf8');
  const shown = path.relative(process.cwd(), tplFile) || tplFile;
  const vars: Record<string, string | number | boolean> = { ...(create.vars ?? {}) };
  for (const k of Object.keys(TEMPLATE_VARIABLES)) vars[k] ??= k === 'index' ? 0 : k === 'random' ? 'abcde' : `${k}-value`;
  vars.name = `${phase.name}-0`;
  vars.namespace = 'kbench-check-0';
  for (const [name, pos] of placeholders(text)) {
    if (!(name in vars)) {
      errors.push({
        file: shown,
        line: pos.line,
        col: pos.col,
        message: `unknown template variable {{${name}}}; known: ${Object.keys(vars).sort().join(', ')} (add it under vars: in ${file}, phase ${phase.name})`,
      });
    }
  }
  let obj: Record<string, unknown>;
  try {
    obj = renderTemplate(text, vars);
  } catch (e) {
    if (e instanceof TemplateError) errors.push({ file: shown, line: e.line, col: e.col, message: e.message });
    else throw e;
    return;
  }
  const type = typeForKind(obj.apiVersion, obj.kind);
  if (!type) {
    errors.push({ file: shown, line: 1, col: 1, message: `kbench cannot create ${String(obj.kind)} (${String(obj.apiVersion)}); it creates Pods, Deployments, ReplicaSets, ConfigMaps, Secrets, Services, ServiceAccounts, Leases` });
    return;
  }
  if (!type.namespaced) errors.push({ file: shown, line: 1, col: 1, message: `${type.kind} is cluster-scoped; kbench creates only namespaced objects (cleanup deletes the run's namespaces)` });
  templates.set(create.template, { ref: create.template, file: tplFile, text });
}
