/**
 * A loopback proxy in front of moto that fills in what moto lacks and AWS does, so the suite can
 * hold Cutover to AWS's behaviour without weakening a check. Every request goes through unchanged
 * except for these named gaps (moto 5.2.1):
 *
 * 1. UpdateServicePrimaryTaskSet: moto matches only a full task-set ARN; AWS takes "the short name
 *    or full Amazon Resource Name (ARN) of the task set" (ECS API reference,
 *    UpdateServicePrimaryTaskSet, primaryTaskSet). An id is resolved to its ARN first.
 * 2. Targets: moto registers no targets for a task set's tasks; ECS registers each task's IP in the
 *    task set's target groups (ECS developer guide, "Use load balancing to distribute Amazon ECS
 *    service traffic"). After CreateTaskSet (and UpdateTaskSet) the proxy registers (or
 *    deregisters) ceil(desiredCount x scale / 100) IP targets, and deregisters them on DeleteTaskSet.
 * 3. Counts: moto reports a task set STEADY_STATE at once with no runningCount or
 *    computedDesiredCount; the proxy fills both with ceil(desiredCount x scale / 100) (TaskSet,
 *    ECS API reference: computedDesiredCount is the scale percentage of the service's desired
 *    count, rounded up).
 * 4. Errors: for a task set that does not exist moto answers `ClientException: The specified task set
 *    does not exist.`; AWS answers TaskSetNotFoundException ("The specified task set wasn't
 *    found", ECS API model: DeleteTaskSet, UpdateTaskSet and UpdateServicePrimaryTaskSet list it).
 *    UpdateTaskSet of a task set moto does not hold fails with HTTP 500. The proxy answers AWS's
 *    error code (with moto's message).
 * 5. ListTaskDefinitions: moto ignores `sort` and always lists oldest first; AWS sorts by family and
 *    revision, ASC by default, DESC newest first (ECS API reference, ListTaskDefinitions). The
 *    proxy sorts the page as asked.
 * 6. CreateTaskSet with a target group that no listener or rule forwards to: moto accepts it; ECS
 *    refuses it (InvalidParameterException "The target group ... does not have an associated load
 *    balancer"; ECS developer guide, blue/green with target groups on a listener). The proxy refuses it,
 *    reading what the listeners and rules forward to.
 * 7. CreateTaskSet beyond 5 task sets on a service: moto accepts it; ECS refuses it
 *    (InvalidParameterException "... exceeds the maximum limit"; Amazon ECS service quotas, task
 *    sets per service: 5). The proxy refuses it.
 * 8. DescribeListeners and DescribeRules of a plain forward (TargetGroupArn alone): moto returns the
 *    action as written; AWS describes it with its ForwardConfig too, the one target group at
 *    weight 1 and stickiness off (as AWS answers it: getmoto/moto#4716; ELB API reference, Action,
 *    ForwardConfig). The proxy adds that ForwardConfig.
 * 9. Tasks: moto starts floor(desiredCount x scale / 100) tasks when it creates a task set and
 *    never stops or adds any after (UpdateTaskSet, DeleteTaskSet); ECS keeps the task set's
 *    computedDesiredCount of tasks running (TaskSet, ECS API reference) and stops them when the
 *    task set is scaled in or deleted. The proxy adopts the tasks moto started for a new task set
 *    and, alongside the targets of gap 2, runs (RunTask) or stops (StopTask) tasks of the task
 *    set's revision so that the computed count runs. moto also moves a task's lastStatus one step
 *    toward STOPPED (DEACTIVATING, STOPPING ...) each time it is described, desiredStatus still
 *    RUNNING; ECS keeps a task set's task RUNNING until it is stopped. DescribeTasks reports the
 *    task-set tasks the proxy keeps as RUNNING while their desiredStatus is RUNNING. A task set with
 *    no load balancer (a worker's) has its tasks kept the same way, with no targets.
 * 10. Task-set tasks as ECS starts and stops them: moto starts a new task set's first tasks with
 *    `startedBy` = the account id; ECS sets startedBy to the id of the task set (`ecs-svc/...`) that
 *    started the task (ECS API reference, Task: startedBy "If the task is started by an Amazon ECS
 *    service, the startedBy parameter contains the deployment ID of that service"), which is what
 *    ListTasks `startedBy` filters on. A task the scheduler stops when its task set is scaled in is
 *    STOPPED with stopCode `ServiceSchedulerInitiated` (ECS API reference, Task: stopCode) and a
 *    "Scaling activity initiated by (deployment ecs-svc/...)" stoppedReason; moto's StopTask (how the
 *    proxy stops them) leaves stopCode out. The proxy answers ListTasks by a task-set id from the
 *    tasks it keeps and stopped for that task set (moto filtering desiredStatus), and DescribeTasks
 *    with their startedBy and, for the ones it stopped, that stopCode.
 *
 * Gaps it does not fill (ECS's own deployments, issue #17): filling them would mean the proxy
 * modelling service deployments itself and answering its own question, so the adapter contract runs
 * those cases on the world only (adapter-contract.test.ts, `worldOnly`, naming the gap). Paths are in
 * moto 5.2.1's package (site-packages/moto/...):
 * 11. ListServiceDeployments and DescribeServiceRevisions: moto has no handler (ecs/responses.py
 *    defines neither; core/responses.py:563 raises NotImplementedError, which moto's server answers
 *    as an HTTP 500 HTML page, a server fault to the SDK, AwsUnavailable to Cutover), and its
 *    UpdateService of an ECS-controller service starts no service deployment: it sets the fields it
 *    is sent on the service (ecs/models.py:1693-1704) and keeps the one `deployments` entry the
 *    service was created with, taskDefinition included (ecs/models.py:537-555, 1705-1710: only
 *    forceNewDeployment changes its id). NativeDeployments.startDeployment and listInProgress.
 * 12. DescribeServiceDeployments: no handler (as in 11). NativeDeployments.describeDeployment.
 * 13. StopServiceDeployment (and ContinueServiceDeployment): no handler (as in 11).
 *    NativeDeployments.stopWithRollback.
 * 14. Service Connect: CreateService reads no serviceConnectConfiguration (ecs/responses.py:286-317)
 *    and a deployment never carries one (ecs/models.py:537-555), so DescribeServices cannot show it.
 *    NativeDeployments.describeService of a Service Connect service.
 * What moto does support of them, and the suite runs on both: DescribeServices of an ECS-controller
 * service with its loadBalancers' advancedConfiguration kept as created (ecs/models.py:499), and
 * UpdateService with taskDefinition and a deploymentConfiguration (strategy, canaryConfiguration,
 * bakeTimeInMinutes, lifecycleHooks) read back as sent (ecs/models.py:1693-1704; CreateService,
 * though, drops deploymentConfiguration: ecs/responses.py:286-317 does not read it).
 *
 * It also counts the calls by operation, for tests that assert what reached "AWS".
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113.';
/** Amazon ECS service quotas: "Task sets per service", 5, not adjustable (DRAINING ones count). */
const MAX_TASK_SETS_PER_SERVICE = 5;

interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface MotoProxy {
  readonly endpoint: string;
  /** Calls seen, in order: the region, the signing name (`ecs`, `elasticloadbalancing` ...) and the operation. */
  readonly calls: Array<{ region: string; service: string; operation: string }>;
  close(): Promise<void>;
}

type TaskSetJson = {
  id?: string;
  taskSetArn?: string;
  clusterArn?: string;
  taskDefinition?: string;
  launchType?: string;
  networkConfiguration?: unknown;
  scale?: { value?: number };
  runningCount?: number;
  pendingCount?: number;
  computedDesiredCount?: number;
  loadBalancers?: Array<{ targetGroupArn?: string; containerPort?: number }>;
};

/** Gap 4: moto's ClientException for a missing task set, as AWS's TaskSetNotFoundException. */
function taskSetNotFound(res: Forwarded): Forwarded {
  if (res.status !== 400 || res.headers['x-amzn-errortype'] !== 'ClientException' || !/task set does not exist/i.test(res.body)) return res;
  const body = JSON.parse(res.body) as Record<string, unknown>;
  return {
    ...res,
    headers: { ...res.headers, 'x-amzn-errortype': 'TaskSetNotFoundException' },
    body: JSON.stringify({ ...body, __type: 'TaskSetNotFoundException' }),
  };
}

/**
 * Gap 8: a forward action described with TargetGroupArn and no ForwardConfig gets the ForwardConfig
 * AWS returns with it. Only leaf `<member>` elements (no nested member) are actions of this shape;
 * a ForwardConfig's own tuples have no `<Type>`.
 */
function withForwardConfig(res: Forwarded): Forwarded {
  const body = res.body.replace(/<member>((?:(?!<\/?member>).)*)<\/member>/gs, (whole, inner: string) => {
    const arn = /<TargetGroupArn>([^<]+)<\/TargetGroupArn>/.exec(inner)?.[1];
    if (!inner.includes('<Type>forward</Type>') || arn === undefined || inner.includes('<ForwardConfig>')) return whole;
    const config =
      `<ForwardConfig><TargetGroups><member><TargetGroupArn>${arn}</TargetGroupArn><Weight>1</Weight></member></TargetGroups>` +
      '<TargetGroupStickinessConfig><Enabled>false</Enabled></TargetGroupStickinessConfig></ForwardConfig>';
    return `<member>${inner}${config}</member>`;
  });
  return { ...res, body };
}

export async function startMotoProxy(motoEndpoint: string): Promise<MotoProxy> {
  const calls: MotoProxy['calls'] = [];
  /** Registered targets per task-set ARN (the gap-2 bookkeeping). */
  const registered = new Map<string, { taskSetId?: string; targetGroupArn?: string; port: number; ips: string[]; tasks: string[]; stopped: string[] }>();
  let nextIp = 0;

  // One request at a time to moto: its backends are not safe under concurrent requests (an
  // occasional HTTP 500 when two worlds are built at once), and AWS's answers do not depend on it.
  let queue: Promise<unknown> = Promise.resolve();
  const forward = (method: string, url: string, headers: IncomingHttpHeaders, body: string): Promise<Forwarded> => {
    const next = queue.then(() => send(method, url, headers, body));
    queue = next.catch(() => undefined);
    return next;
  };
  const send = async (method: string, url: string, headers: IncomingHttpHeaders, body: string): Promise<Forwarded> => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined || ['host', 'content-length', 'connection', 'transfer-encoding'].includes(k)) continue;
      h[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const res = await fetch(`${motoEndpoint}${url}`, { method, headers: h, ...(method === 'GET' || method === 'HEAD' ? {} : { body }) });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!['content-length', 'connection', 'transfer-encoding', 'content-encoding'].includes(k)) out[k] = v;
    });
    return { status: res.status, headers: out, body: await res.text() };
  };
  /** An ECS JSON call on the caller's credentials (so in the caller's region). */
  const ecs = async (headers: IncomingHttpHeaders, op: string, input: unknown): Promise<Record<string, unknown>> => {
    const res = await forward('POST', '/', { ...headers, 'x-amz-target': `${ECS_TARGET}${op}` }, JSON.stringify(input));
    if (res.status !== 200) throw new Error(`ECS ${op} failed in the proxy: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  /** An ELBv2 query call on the caller's credentials, rewritten for the elasticloadbalancing scope. */
  const elb = async (headers: IncomingHttpHeaders, params: Record<string, string>): Promise<string> => {
    const auth = String(headers.authorization ?? '').replace(/\/ecs\/aws4_request/, '/elasticloadbalancing/aws4_request');
    const res = await forward(
      'POST',
      '/',
      { authorization: auth, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      new URLSearchParams({ Version: '2015-12-01', ...params }).toString(),
    );
    if (res.status !== 200) throw new Error(`ELB ${params.Action} failed in the proxy: ${res.body.slice(0, 300)}`);
    return res.body;
  };
  const invalidParameter = (message: string): Forwarded => ({
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'InvalidParameterException' },
    body: JSON.stringify({ __type: 'InvalidParameterException', message }),
  });
  /** Gaps 6 and 7: what ECS refuses in CreateTaskSet and moto accepts. */
  const refusedTaskSet = async (headers: IncomingHttpHeaders, input: Record<string, unknown>): Promise<Forwarded | undefined> => {
    const out = await ecs(headers, 'DescribeServices', { cluster: input.cluster, services: [input.service] });
    const sets = ((out.services as Array<{ taskSets?: unknown[] }> | undefined)?.[0]?.taskSets ?? []).length;
    if (sets >= MAX_TASK_SETS_PER_SERVICE) {
      return invalidParameter(`${sets} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.`);
    }
    const wanted = ((input.loadBalancers as Array<{ targetGroupArn?: string }> | undefined) ?? []).flatMap((lb) => (lb.targetGroupArn ? [lb.targetGroupArn] : []));
    if (wanted.length === 0) return undefined;
    // What the listeners and rules forward to now (moto's own LoadBalancerArns of a target group
    // is not updated by ModifyListener or ModifyRule).
    let named = '';
    const lbs = [...(await elb(headers, { Action: 'DescribeLoadBalancers' })).matchAll(/<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/g)].map((m) => m[1] as string);
    for (const lbArn of new Set(lbs)) {
      const listeners = await elb(headers, { Action: 'DescribeListeners', LoadBalancerArn: lbArn });
      named += listeners;
      for (const m of listeners.matchAll(/<ListenerArn>([^<]+)<\/ListenerArn>/g)) named += await elb(headers, { Action: 'DescribeRules', ListenerArn: m[1] as string });
    }
    for (const tg of wanted) {
      if (!named.includes(tg)) return invalidParameter(`The target group with targetGroupArn ${tg} does not have an associated load balancer.`);
    }
    return undefined;
  };
  const desiredCountOf = async (headers: IncomingHttpHeaders, cluster: unknown, service: unknown): Promise<number> => {
    const out = await ecs(headers, 'DescribeServices', { cluster, services: [service] });
    return ((out.services as Array<{ desiredCount?: number }> | undefined)?.[0]?.desiredCount ?? 0) as number;
  };
  const computed = (desired: number, ts: TaskSetJson) => Math.ceil((desired * (ts.scale?.value ?? 0)) / 100);
  const fillCounts = (ts: TaskSetJson, desired: number) => {
    if (ts.computedDesiredCount === undefined) ts.computedDesiredCount = computed(desired, ts);
    if (ts.runningCount === undefined) ts.runningCount = ts.computedDesiredCount;
    if (ts.pendingCount === undefined) ts.pendingCount = 0;
  };
  /** Make the task set's registered targets (gap 2) and running tasks (gap 9) match its computed count. */
  const syncTargets = async (headers: IncomingHttpHeaders, ts: TaskSetJson, count: number, adopt?: readonly string[]) => {
    const lb = ts.loadBalancers?.[0];
    if (!ts.taskSetArn) return;
    const entry = registered.get(ts.taskSetArn) ?? {
      ...(ts.id ? { taskSetId: ts.id } : {}),
      ...(lb?.targetGroupArn ? { targetGroupArn: lb.targetGroupArn } : {}),
      port: lb?.containerPort ?? 80,
      ips: [],
      tasks: [],
      stopped: [],
    };
    registered.set(ts.taskSetArn, entry);
    if (!entry.targetGroupArn) {
      // A task set with no load balancer (gap 9): its tasks only.
    } else if (entry.ips.length < count) {
      const add = Array.from({ length: count - entry.ips.length }, () => {
        nextIp += 1;
        return `10.0.${100 + Math.floor(nextIp / 250)}.${nextIp % 250}`;
      });
      const params: Record<string, string> = { Action: 'RegisterTargets', TargetGroupArn: entry.targetGroupArn };
      add.forEach((ip, i) => {
        params[`Targets.member.${i + 1}.Id`] = ip;
        params[`Targets.member.${i + 1}.Port`] = String(entry.port);
      });
      await elb(headers, params);
      entry.ips.push(...add);
    } else if (entry.ips.length > count) {
      const drop = entry.ips.splice(count);
      const params: Record<string, string> = { Action: 'DeregisterTargets', TargetGroupArn: entry.targetGroupArn };
      drop.forEach((ip, i) => {
        params[`Targets.member.${i + 1}.Id`] = ip;
        params[`Targets.member.${i + 1}.Port`] = String(entry.port);
      });
      await elb(headers, params);
    }
    // Gap 9: the task set's tasks, as ECS keeps them.
    if (adopt) entry.tasks.push(...adopt);
    if (entry.tasks.length < count) {
      for (let left = count - entry.tasks.length; left > 0; left -= 10) {
        const out = await ecs(headers, 'RunTask', {
          cluster: ts.clusterArn,
          taskDefinition: ts.taskDefinition,
          count: Math.min(left, 10),
          launchType: ts.launchType ?? 'FARGATE',
          startedBy: ts.id,
          ...(ts.networkConfiguration ? { networkConfiguration: ts.networkConfiguration } : {}),
        });
        entry.tasks.push(...((out.tasks as Array<{ taskArn?: string }> | undefined) ?? []).flatMap((t) => (t.taskArn ? [t.taskArn] : [])));
      }
    } else if (entry.tasks.length > count) {
      for (const task of entry.tasks.splice(count)) {
        // Gap 10: the reason ECS's scheduler gives (the stopCode is added in DescribeTasks).
        await ecs(headers, 'StopTask', { cluster: ts.clusterArn, task, reason: `Scaling activity initiated by (deployment ${ts.id ?? ''})` });
        entry.stopped.push(task);
      }
    }
  };
  /** The running tasks of one revision in a cluster (gap 9: which tasks moto started for a task set). */
  const runningTasksOf = async (headers: IncomingHttpHeaders, cluster: unknown, taskDefinition: unknown): Promise<string[]> => {
    const family = /task-definition\/([^:]+)/.exec(String(taskDefinition))?.[1] ?? String(taskDefinition).split(':')[0];
    const listed = ((await ecs(headers, 'ListTasks', { cluster, family, desiredStatus: 'RUNNING' })).taskArns as string[] | undefined) ?? [];
    if (listed.length === 0) return [];
    const tasks = ((await ecs(headers, 'DescribeTasks', { cluster, tasks: listed })).tasks as Array<{ taskArn?: string; taskDefinitionArn?: string }> | undefined) ?? [];
    return tasks.filter((t) => t.taskArn !== undefined && t.taskDefinitionArn === taskDefinition).map((t) => t.taskArn as string);
  };

  const handle = async (method: string, url: string, headers: IncomingHttpHeaders, body: string): Promise<Forwarded> => {
    const target = String(headers['x-amz-target'] ?? '');
    const query = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
    const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([a-z0-9-]+)\//.exec(String(headers.authorization ?? ''));
    const operation = target ? target.replace(/^.*\./, '') : query;
    if (operation) calls.push({ region: scope?.[1] ?? '?', service: scope?.[2] ?? '?', operation });
    if (!target.startsWith(ECS_TARGET)) {
      const res = await forward(method, url, headers, body);
      return (operation === 'DescribeRules' || operation === 'DescribeListeners') && res.status === 200 ? withForwardConfig(res) : res;
    }
    const op = target.slice(ECS_TARGET.length);
    let input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (op === 'UpdateServicePrimaryTaskSet' && typeof input.primaryTaskSet === 'string' && !input.primaryTaskSet.startsWith('arn:')) {
      const out = await ecs(headers, 'DescribeServices', { cluster: input.cluster, services: [input.service] });
      const sets = ((out.services as Array<{ taskSets?: TaskSetJson[] }> | undefined)?.[0]?.taskSets ?? []) as TaskSetJson[];
      const match = sets.find((s) => s.id === input.primaryTaskSet);
      if (match?.taskSetArn) input = { ...input, primaryTaskSet: match.taskSetArn };
    }
    if (op === 'DeleteTaskSet' && typeof input.taskSet === 'string') {
      const out = await ecs(headers, 'DescribeTaskSets', { cluster: input.cluster, service: input.service, taskSets: [input.taskSet] }).catch(() => ({}));
      const ts = ((out as { taskSets?: TaskSetJson[] }).taskSets ?? [])[0];
      const res = taskSetNotFound(await forward(method, url, headers, JSON.stringify(input)));
      if (res.status === 200 && ts) await syncTargets(headers, ts, 0);
      return res;
    }
    let tasksBefore: Set<string> | undefined;
    if (op === 'CreateTaskSet') {
      const refused = await refusedTaskSet(headers, input);
      if (refused) return refused;
      tasksBefore = new Set(await runningTasksOf(headers, input.cluster, input.taskDefinition));
    }
    if (op === 'ListTasks' && typeof input.startedBy === 'string') {
      const entry = [...registered.values()].find((e) => e.taskSetId === input.startedBy);
      if (entry) {
        // Gap 10: the tasks of a task set are the ones it started (moto's startedBy is the account id).
        const { startedBy: _, ...rest } = input;
        const mine = new Set([...entry.tasks, ...entry.stopped]);
        const listed = ((await ecs(headers, 'ListTasks', rest)).taskArns as string[] | undefined) ?? [];
        return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ taskArns: listed.filter((t) => mine.has(t)) }) };
      }
    }
    let res = taskSetNotFound(await forward(method, url, headers, JSON.stringify(input)));
    if (op === 'UpdateTaskSet' && res.status === 500) {
      // moto fails UpdateTaskSet of a task set it does not hold with HTTP 500 (gap 4).
      const out = await ecs(headers, 'DescribeTaskSets', { cluster: input.cluster, service: input.service, taskSets: [input.taskSet] }).catch(() => undefined);
      if (out && ((out as { taskSets?: unknown[] }).taskSets ?? []).length === 0) {
        res = {
          status: 400,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'TaskSetNotFoundException' },
          body: JSON.stringify({ __type: 'TaskSetNotFoundException', message: 'The specified task set does not exist.' }),
        };
      }
    }
    if (res.status !== 200) return res;
    if (op === 'CreateTaskSet' || op === 'UpdateTaskSet') {
      const out = JSON.parse(res.body) as { taskSet?: TaskSetJson };
      if (out.taskSet) {
        const desired = await desiredCountOf(headers, input.cluster, input.service);
        fillCounts(out.taskSet, desired);
        const before = tasksBefore;
        const adopt = before ? (await runningTasksOf(headers, input.cluster, input.taskDefinition)).filter((t) => !before.has(t)) : undefined;
        await syncTargets(headers, out.taskSet, out.taskSet.computedDesiredCount ?? 0, adopt);
        return { ...res, body: JSON.stringify(out) };
      }
    }
    if (op === 'ListTaskDefinitions') {
      const out = JSON.parse(res.body) as { taskDefinitionArns?: string[] };
      const key = (arn: string) => {
        const m = /task-definition\/(.+):(\d+)$/.exec(arn);
        return { family: m?.[1] ?? arn, revision: Number(m?.[2] ?? 0) };
      };
      const sign = input.sort === 'DESC' ? -1 : 1;
      out.taskDefinitionArns = [...(out.taskDefinitionArns ?? [])].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return sign * (x.family === y.family ? x.revision - y.revision : x.family < y.family ? -1 : 1);
      });
      return { ...res, body: JSON.stringify(out) };
    }
    if (op === 'DescribeServices') {
      const out = JSON.parse(res.body) as { services?: Array<{ desiredCount?: number; taskSets?: TaskSetJson[] }> };
      for (const s of out.services ?? []) for (const ts of s.taskSets ?? []) fillCounts(ts, s.desiredCount ?? 0);
      return { ...res, body: JSON.stringify(out) };
    }
    if (op === 'DescribeTasks') {
      const kept = new Set([...registered.values()].flatMap((e) => e.tasks));
      const stopped = new Set([...registered.values()].flatMap((e) => e.stopped));
      const startedBy = new Map([...registered.values()].flatMap((e) => (e.taskSetId ? [...e.tasks, ...e.stopped].map((t) => [t, e.taskSetId as string] as const) : [])));
      const out = JSON.parse(res.body) as { tasks?: Array<{ taskArn?: string; lastStatus?: string; desiredStatus?: string; startedBy?: string; stopCode?: string }> };
      for (const t of out.tasks ?? []) {
        if (!t.taskArn) continue;
        if (kept.has(t.taskArn) && t.desiredStatus === 'RUNNING') t.lastStatus = 'RUNNING';
        // Gap 10: who started the task, and how the scheduler stopped it.
        const by = startedBy.get(t.taskArn);
        if (by) t.startedBy = by;
        if (stopped.has(t.taskArn) && t.desiredStatus === 'STOPPED') t.stopCode = 'ServiceSchedulerInitiated';
      }
      return { ...res, body: JSON.stringify(out) };
    }
    if (op === 'DescribeTaskSets') {
      const out = JSON.parse(res.body) as { taskSets?: TaskSetJson[] };
      if ((out.taskSets ?? []).length > 0) {
        const desired = await desiredCountOf(headers, input.cluster, input.service);
        for (const ts of out.taskSets ?? []) fillCounts(ts, desired);
      }
      return { ...res, body: JSON.stringify(out) };
    }
    return res;
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      handle(req.method ?? 'POST', req.url ?? '/', req.headers, body).then(
        (out) => {
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`conformance proxy: ${(e as Error).message}`);
        },
      );
    });
  });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
