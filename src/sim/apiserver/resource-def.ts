import type { AdmissionContext } from './admission.js';
import type { ApiResponse } from './api-types.js';
import type { ApiContext, ResourceRequest } from './context.js';
import type { TypedField } from './decode-check.js';
import type { Verb } from './request-info.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './types.js';

/** What a strategy may need besides the object: the clock and the cluster's settings. */
export interface StrategyContext {
  now(): number;
  /** A random suffix of n characters for generated names, from the sim's seeded random source. */
  randomSuffix(n: number): string;
  /** A random integer in [0, n), from the same source. */
  randomInt(n: number): number;
}

/** Per-resource behaviour on top of the generic REST handlers (k8s "rest strategy"). */
export interface Strategy {
  /** Sets server-owned fields and defaults on create (after generic metadata defaulting). */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  validate?(obj: KubeObject): StatusCause[];
  /** Adjusts an update of the main resource (for example, keep the old status). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  /**
   * Seconds of graceful deletion for this object, or undefined to delete at once.
   * `requested` is DeleteOptions.gracePeriodSeconds.
   */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** Changes written when a deletion starts and the object stays for a while (a namespace turns Terminating). */
  prepareForDeletion?(obj: KubeObject): void;
}

/** Serves one verb of a subresource that has behaviour of its own. */
export type SubresourceHandler = (ctx: ApiContext, r: ResourceRequest) => Promise<ApiResponse>;

/** The verbs a subresource serves; any other verb is 405 MethodNotAllowed. */
export interface SubresourceVerbs {
  get?: SubresourceHandler;
  create?: SubresourceHandler;
  update?: SubresourceHandler;
  patch?: SubresourceHandler;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 shows in `kubectl get`, 1 only with `-o wide`. */
  priority: number;
  cell(obj: KubeObject, now: number): string | number | boolean;
}

export type Subresource = 'status' | 'scale' | 'binding' | 'finalize' | 'proxy';

/** Converts between a served version and the stored form (events.k8s.io/v1 <-> v1). */
export interface VersionCodec {
  fromStorage(stored: KubeObject): KubeObject;
  toStorage(served: KubeObject): KubeObject;
  /** Maps a field-selector label of this version to the stored field name. */
  fieldAlias?: Readonly<Record<string, string>>;
}

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lowercase: `pods`. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Storage key segment: objects live at /registry/<storage>/[<namespace>/]<name>. */
  storage: string;
  subresources: Subresource[];
  /** metadata.generation is kept and bumped when .spec changes. */
  generation?: boolean;
  /**
   * Deployments: an annotation change bumps the generation too (they are copied to the
   * ReplicaSets), and a status write may change annotations (the controller's revision).
   */
  annotationsInGeneration?: boolean;
  /** Fields usable in field selectors besides metadata.name and metadata.namespace. */
  fields?(obj: KubeObject): Record<string, string>;
  fieldNames?: readonly string[];
  strategy?: Strategy;
  /**
   * Mutating admission on create (kube-apiserver's default plugins), before defaulting and
   * validation; may refuse with an ApiError.
   */
  admitCreate?(obj: KubeObject, ctx: AdmissionContext): Promise<void>;
  /** Fields whose JSON type the decoder checks (400 on a mismatch), besides metadata's. */
  typedFields?: readonly TypedField[];
  codec?: VersionCodec;
  columns?: TableColumn[];
  /**
   * Subresources with their own handlers (pods/binding, deployments/scale,
   * namespaces/finalize, pods/proxy). `status` needs none: the generic verbs write status only.
   */
  subresourceHandlers?: Partial<Record<Subresource, SubresourceVerbs>>;
  /** Why a name is invalid, or undefined; a DNS subdomain unless the resource says otherwise. */
  nameError?(name: string): string | undefined;
  /** A delete that removes the object answers with its last state, not a Status (pods, namespaces). */
  returnDeletedObject?: boolean;
  /** The verbs the resource serves (discovery and dispatch); any other is 405. All eight by default. */
  verbs?: readonly Verb[];
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
