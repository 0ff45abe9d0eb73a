// The default rules, as data, in the order they are tried. Engine failures are matched on the
// kind of fault, not on one report's exact words: the engine's text is often all there is.
// What they hold to: the client's exit codes 125-127 and an HTTP 400 prove nothing on their
// own (no rule decides on them); a pull's failure arrives inside a 200 response stream, so pull
// rules read the text; a create that timed out may still have made its container (the attempt
// removes the containers carrying its labels either way).

import type { RuleSpec } from './spec.js';

/** Patterns are written as regular expressions and kept as their source (matched with `i`). */
const text = (...alternatives: RegExp[]) => alternatives.map((p) => p.source).join('|');

const EXIT_RULES: RuleSpec[] = [
  {
    name: 'timeout',
    action: 'user',
    description: 'The component ran past its timeout and was stopped.',
    when: { kind: 'exit', timedOut: true },
    tell:
      'the component ran longer than its timeout of {timeout} and was stopped; ' +
      'raise --timeout or make it finish sooner',
  },
  {
    name: 'oom-killed',
    action: 'user',
    description:
      'The kernel killed the container for going over its memory limit (the engine says so).',
    when: { kind: 'exit', oomKilled: true },
    tell:
      'the component used more than its memory limit of {memoryLimit} and was killed; ' +
      'raise --memory or make it use less',
  },
  {
    name: 'exit-0',
    action: 'success',
    description: 'The component exited 0.',
    when: { kind: 'exit', exitCodes: [0] },
    tell: 'the component finished successfully',
  },
  {
    name: 'exit-1',
    action: 'user',
    description: 'Exit 1 is how a component reports bad input or configuration (Common Interface).',
    when: { kind: 'exit', exitCodes: [1] },
    tell: 'component-output',
  },
  {
    name: 'killed-by-signal',
    action: 'application',
    description:
      'The container ended on a signal (exit 128 + its number) without the engine reporting an ' +
      'out-of-memory kill: something other than its memory limit stopped it.',
    when: { kind: 'exit', exitCodes: ['129-159'] },
    tell:
      'the component was killed by a signal (exit code {exitCode}); the engine reports no ' +
      'out-of-memory kill, so something else stopped it',
  },
  {
    name: 'exit-other',
    action: 'application',
    description: 'Any other exit code is a failure of the component itself.',
    when: { kind: 'exit' },
    tell: 'component-failure',
  },
];

const STORAGE_RULES: RuleSpec[] = [
  {
    name: 'cleanup',
    action: 'ignore',
    description: 'Removing a finished container failed: reported, never changes the job.',
    when: { phases: ['remove'] },
  },
  {
    name: 'storage-layer-missing',
    action: 'application',
    description:
      "A container's init layer is gone from the storage driver (its metadata is damaged): " +
      'every run on this host fails the same way until an operator repairs it.',
    when: { kind: 'engine', message: text(/-init(\/merged)?:? no such file or directory/) },
  },
  {
    name: 'devicemapper',
    action: 'retry',
    description:
      'The devicemapper storage driver failed for a moment (deviceResume, cookies, activation).',
    when: { kind: 'engine', message: text(/\b(devicemapper|devmapper|dm_task_\w+)\b/) },
  },
  {
    name: 'dev-mapper-missing',
    action: 'retry',
    description: 'A /dev/mapper device the engine had just made was not there yet (a udev race).',
    when: { kind: 'engine', message: text(/\/dev\/mapper\/\S*:? no such file or directory/) },
  },
  {
    name: 'storage-busy',
    action: 'retry',
    description: "A layer's mount was still busy (another mount or unmount in flight).",
    when: { kind: 'engine', message: text(/device or resource busy/) },
  },
];

const HOST_RULES: RuleSpec[] = [
  {
    name: 'host-out-of-space',
    action: 'retry',
    description: 'The host (or a cgroup) ran out of disk space or inodes for a moment.',
    when: { kind: 'engine', message: text(/no space left on device|disk quota exceeded/) },
  },
  {
    name: 'host-out-of-processes',
    action: 'retry',
    description: 'The host could not start a process or thread (EAGAIN, out of memory for one).',
    when: {
      kind: 'engine',
      message: text(/resource temporarily unavailable|\bEAGAIN\b|cannot allocate memory/),
    },
  },
  {
    name: 'port-in-use',
    action: 'retry',
    description: 'A host port the container maps was still held by another process.',
    when: { kind: 'engine', message: text(/address already in use|port is already allocated/) },
  },
  {
    name: 'network-setup-broken',
    action: 'application',
    description:
      "The engine's networking on the host is broken (firewall chains flushed, docker-proxy " +
      'missing): every port-mapped run fails until an operator repairs it.',
    when: {
      kind: 'engine',
      message: text(/programming external connectivity|failed to set up container networking/),
    },
  },
  {
    name: 'gpu-unavailable',
    action: 'application',
    description: "The host's GPU driver or its container hook is missing or not loaded.",
    when: {
      kind: 'engine',
      message: text(/could not select device driver|nvidia-container-cli|nvml error/),
    },
  },
];

const CONTAINER_RULES: RuleSpec[] = [
  {
    name: 'name-conflict',
    action: 'retry',
    description:
      'A name (container or network endpoint) is still held by a leftover of an earlier run; ' +
      'the next attempt runs after the leftover is removed.',
    when: {
      kind: 'engine',
      message: text(/name \S+ is already in use|endpoint with name \S+ already exists/),
    },
  },
  {
    name: 'container-restarting',
    action: 'user',
    description: 'The container is restarting under its restart policy: the component crash-loops.',
    when: { kind: 'engine', message: text(/is restarting, wait until the container is running/) },
  },
  {
    name: 'container-vanished',
    action: 'retry',
    description: 'The container was gone or had stopped when the engine was asked about it.',
    when: { kind: 'engine', message: text(/no such container|container \S+ is not running/) },
  },
  {
    name: 'executable-not-found',
    action: 'user',
    description: 'The command given to the container does not exist in the image.',
    when: {
      kind: 'engine',
      phases: ['create', 'start'],
      message: text(
        /executable file not found|exec: \\?"[^"\\]*\\?": (stat \S+: )?no such file or directory/,
      ),
    },
    tell: 'the command could not be started in the container: {engineMessage}',
  },
  {
    name: 'executable-not-runnable',
    action: 'user',
    description: 'The command given to the container is not executable (its mode or its mount).',
    when: {
      kind: 'engine',
      phases: ['create', 'start'],
      message: text(/exec: \\?"[^"\\]*\\?": permission denied/),
    },
    tell: 'the command could not be started in the container: {engineMessage}',
  },
  {
    name: 'exec-format-error',
    action: 'user',
    description: "The image's program is built for another CPU architecture than the host's.",
    when: { kind: 'engine', message: text(/exec format error/) },
    tell: 'the image was built for another CPU architecture: {engineMessage}',
  },
];

const RUNTIME_RULES: RuleSpec[] = [
  {
    name: 'runtime-fault',
    action: 'retry',
    description:
      'The OCI runtime or its shim failed while setting up the container process ' +
      '(setns, init pipe, a process dead before start).',
    when: {
      kind: 'engine',
      message: text(
        /exec setns process for init|container process is already dead/,
        /read (init-p|parent): |unable to retrieve OCI runtime error|shim error/,
      ),
    },
  },
  {
    name: 'engine-permission-denied',
    action: 'application',
    description: "stevedore is not allowed to use the engine's socket: a setup fault of the host.",
    when: {
      kind: 'engine',
      message: text(/permission denied while trying to connect to the docker daemon/),
    },
    tell:
      "stevedore may not use the container engine's socket ({phase}): {engineMessage}; " +
      "add the user to the engine's group or point DOCKER_HOST at a socket it may use",
  },
];

const PULL_RULES: RuleSpec[] = [
  {
    name: 'pull-network-fault',
    action: 'retry',
    description:
      'Pulling the image failed on the way to the registry (a temporary DNS failure, ' +
      'timeouts, resets, EOF, 502/503). A registry name that does not resolve ("no such ' +
      'host") is an answer, not a hiccup: it is left to image-missing.',
    when: {
      phases: ['pull'],
      message: text(
        /temporary failure in name resolution|timeout|timed out|request canceled/,
        /connection (reset|refused)|unexpected EOF|bad gateway|service unavailable/,
      ),
    },
  },
  {
    name: 'pull-rate-limited',
    action: 'retry',
    description: "The registry's pull rate limit was reached; pulls succeed again later.",
    when: { phases: ['pull'], message: text(/toomanyrequests|rate limit/) },
  },
  {
    name: 'image-reference-invalid',
    action: 'user',
    description: 'The image name is not a valid reference.',
    when: { kind: 'engine', message: text(/invalid reference format/) },
    tell: 'the image name is not valid: {engineMessage}',
  },
];

const ENGINE_RULES: RuleSpec[] = [
  {
    name: 'engine-connection-lost',
    action: 'retry',
    description: 'The connection to the engine was refused, reset or closed mid-call.',
    when: [
      { engineErrorKinds: ['unavailable'] },
      {
        kind: 'engine',
        message: text(
          /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|connection reset|broken pipe/,
          /Cannot connect to the Docker daemon|connect ENOENT \S*\.sock|: EOF$/,
        ),
      },
    ],
    tell:
      'the container engine could not be reached ({phase}): {engineMessage}; ' +
      'is the engine running, and does DOCKER_HOST point at it?',
  },
  {
    name: 'engine-deadline',
    action: 'retry',
    description:
      'An engine call ran out of time (a deadline or client timeout); a create that timed out ' +
      'may have made its container, which the attempt removes by its labels.',
    when: {
      kind: 'engine',
      message: text(/deadline ?exceeded|Client\.Timeout exceeded|request canceled|i\/o timeout/),
    },
  },
  {
    name: 'image-vanished',
    action: 'retry',
    description:
      'The image was there when the attempt began, but not when the container was created ' +
      '(removed in between); the next attempt pulls it again.',
    when: [
      { phases: ['create'], engineErrorKinds: ['image-missing'] },
      { phases: ['create'], message: text(/no such image/) },
    ],
  },
  {
    name: 'image-missing',
    action: 'user',
    description:
      'The image is not on the engine host and could not be pulled: it does not exist, the ' +
      "tag or digest is unknown, its registry's name does not resolve, or access is denied.",
    when: [
      // The engine module reads every pull failure it cannot call `unavailable` as
      // image-missing; the pull rules above take the transient ones first, by their text.
      { phases: ['pull'], engineErrorKinds: ['image-missing'] },
      {
        phases: ['pull'],
        message: text(
          /manifest unknown|not found|no such image|pull access denied/,
          /repository does not exist|unauthorized|denied|no such host/,
        ),
      },
    ],
    tell: 'the image could not be had: {engineMessage}',
  },
  {
    name: 'unknown',
    action: 'application',
    description:
      'An engine failure no rule knows; kept visible so an operator can add a rule for it.',
    when: { kind: 'engine' },
  },
];

export const DEFAULT_RULE_SPECS: readonly RuleSpec[] = [
  ...EXIT_RULES,
  ...STORAGE_RULES,
  ...HOST_RULES,
  ...CONTAINER_RULES,
  ...RUNTIME_RULES,
  ...PULL_RULES,
  ...ENGINE_RULES,
];
