import { collectionPath } from '../../cluster/resources.js';
import { compileTemplate } from '../../spec/template.js';
import { PHASE_LABEL, RUN_LABEL, WORKLOAD_LABEL } from '../labels.js';
import { type ActionFactory, type CreatedObject, ok, outcome } from './context.js';

type Json = Record<string, unknown>;

function withLabels(meta: unknown, labels: Record<string, string>): Json {
  const m = (typeof meta === 'object' && meta !== null ? meta : {}) as Json;
  m.labels = { ...((m.labels as Record<string, string> | undefined) ?? {}), ...labels };
  return m;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * create: object i from the phase's template, named `<phase>-<i>` unless the template
 * names it, in the namespace the plan gave it, with the run's labels (on the pod template
 * too, so the tracker sees the pods a controller makes).
 */
export const create: ActionFactory = (phase, ctx, api) => {
  const c = phase.create!;
  const made: CreatedObject[] = [];
  ctx.objects.set(phase.name, made);
  const labels = { [RUN_LABEL]: ctx.runId, [WORKLOAD_LABEL]: ctx.workload, [PHASE_LABEL]: phase.name };
  const render = compileTemplate(c.template.text, { runId: ctx.runId, workload: ctx.workload, phase: phase.name, ...c.vars });
  const path = ctx.namespaces.map((ns) => collectionPath(c.type, ns));
  return async (i) => {
    const nsIndex = c.namespaceOf[i] ?? 0;
    const namespace = ctx.namespaces[nsIndex]!;
    const name = `${phase.name}-${i}`;
    let random = '';
    for (let k = 0; k < 5; k++) random += ALPHABET[ctx.random.int(36)];
    const obj = render({ index: i, name, namespace, random });
    const meta = withLabels(obj.metadata, labels);
    meta.name ??= name;
    meta.namespace = namespace;
    obj.metadata = meta;
    const spec = obj.spec as Json | undefined;
    if (spec && typeof spec.template === 'object' && spec.template !== null) {
      const tpl = spec.template as Json;
      tpl.metadata = withLabels(tpl.metadata, labels);
    }
    if (c.type.kind === 'Pod') ctx.onCreateSent(namespace, String(meta.name));
    const res = await api.call('POST', path[nsIndex]!, { body: obj });
    if (ok(res)) made.push({ type: c.type, namespace, name: String(meta.name) });
    return outcome(res, `create ${c.type.kind} ${namespace}/${String(meta.name)}`);
  };
};
