import type { CaseFile, MetricsStep } from '../case-types.js';

type Component = MetricsStep['metrics'];
const family = (metrics: Component, name: string) => ({ id: `metrics/${metrics}/${name}`, metrics, family: name });

/** The families kbench's collectors read (and a few it may): type, label names, bucket bounds. */
export const metrics: CaseFile = {
  namespace: 'fid-metrics',
  cases: [
    ...[
      'apiserver_request_total',
      'apiserver_request_duration_seconds',
      'apiserver_request_sli_duration_seconds',
      'apiserver_current_inflight_requests',
      'apiserver_longrunning_requests',
      'apiserver_response_sizes',
      'apiserver_watch_events_total',
      'apiserver_storage_objects',
      'apiserver_flowcontrol_dispatched_requests_total',
      'apiserver_flowcontrol_rejected_requests_total',
      'apiserver_flowcontrol_request_wait_duration_seconds',
      'apiserver_flowcontrol_current_executing_requests',
      'apiserver_flowcontrol_current_inqueue_requests',
      'etcd_request_duration_seconds',
    ].map((n) => family('apiserver', n)),
    ...[
      'scheduler_pending_pods',
      'scheduler_schedule_attempts_total',
      'scheduler_scheduling_attempt_duration_seconds',
      'scheduler_pod_scheduling_sli_duration_seconds',
      'scheduler_pod_scheduling_attempts',
      'scheduler_queue_incoming_pods_total',
    ].map((n) => family('scheduler', n)),
    ...['etcd_disk_wal_fsync_duration_seconds', 'etcd_disk_backend_commit_duration_seconds', 'etcd_mvcc_db_total_size_in_bytes', 'etcd_server_has_leader'].map((n) => family('etcd', n)),
  ],
};
