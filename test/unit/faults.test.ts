import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors.js';
import {
  FAULT_PRESETS,
  FaultInjectingEngine,
  FaultSpecError,
  parseFaultList,
  parseFaultSpec,
} from '../../src/engine/faults.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  OutputSink,
  FoundContainer,
} from '../../src/engine/types.js';

/** Answers the FaultSpecError `run` throws; fails the test when it throws nothing or another. */
function specError(run: () => unknown): FaultSpecError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FaultSpecError);
    return err as FaultSpecError;
  }
  throw new Error('expected a FaultSpecError, but nothing was thrown');
}

describe('parseFaultSpec', () => {
  it('expands the devicemapper preset to the full engine message', () => {
    expect(parseFaultSpec('create:2:devicemapper')).toEqual({
      phase: 'create',
      count: 2,
      message:
        'Error response from daemon: devicemapper: Error running deviceResume dm_task_run failed',
    });
  });

  it('expands the dev-mapper-missing preset to the full engine message', () => {
    const spec = parseFaultSpec('start:1:dev-mapper-missing');

    expect(spec.phase).toBe('start');
    expect(spec.message).toMatch(/^Error response from daemon: open \/dev\/mapper\/docker-/);
    expect(spec.message).toMatch(/: no such file or directory$/);
  });

  it('keeps free text whole, colons included', () => {
    const message = 'Error response from daemon: driver failed: port 8080: address in use';

    expect(parseFaultSpec(`wait:3:${message}`)).toEqual({ phase: 'wait', count: 3, message });
  });

  it('accepts every phase that can be faulted', () => {
    for (const phase of ['pull', 'create', 'start', 'wait', 'remove']) {
      expect(parseFaultSpec(`${phase}:1:boom`).phase).toBe(phase);
    }
  });

  it('rejects an unknown phase, naming it and the phases there are', () => {
    const err = specError(() => parseFaultSpec('boot:1:devicemapper'));

    expect(err.message).toContain('"boot"');
    expect(err.message).toContain('create');
    expect(err.message).toContain('remove');
  });

  for (const text of ['create:two:devicemapper', 'create:-1:devicemapper', 'create:1.5:boom']) {
    it(`rejects the count in "${text}", saying the count is wrong`, () => {
      const err = specError(() => parseFaultSpec(text));

      expect(err.message).toContain(text);
      expect(err.message).toContain('is not a whole number');
    });
  }

  for (const text of ['', 'create', 'create:1', 'create:1:', 'devicemapper']) {
    it(`rejects "${text}" for its missing parts`, () => {
      const err = specError(() => parseFaultSpec(text));

      expect(err.message).toContain('PHASE:COUNT:MESSAGE');
      expect(err.message).toContain('create:2:devicemapper');
    });
  }

  it('keeps a message that is a name on Object.prototype as text', () => {
    expect(parseFaultSpec('create:1:toString').message).toBe('toString');
  });
});

describe('parseFaultList', () => {
  it('answers no faults for nothing, empty text or blanks', () => {
    expect(parseFaultList(undefined)).toEqual([]);
    expect(parseFaultList('')).toEqual([]);
    expect(parseFaultList('  \n ')).toEqual([]);
  });

  it('reads specs separated by newlines', () => {
    const faults = parseFaultList('create:1:devicemapper\nwait:2:socket hang up\n');

    expect(faults).toEqual([
      { phase: 'create', count: 1, message: FAULT_PRESETS.devicemapper },
      { phase: 'wait', count: 2, message: 'socket hang up' },
    ]);
  });

  it('reads specs separated by ;; and skips empty ones', () => {
    const faults = parseFaultList('create:1:devicemapper;;;;start:1:dev-mapper-missing');

    expect(faults.map((f) => [f.phase, f.count, f.message])).toEqual([
      ['create', 1, FAULT_PRESETS.devicemapper],
      ['start', 1, FAULT_PRESETS['dev-mapper-missing']],
    ]);
  });

  it('fails on the first bad spec in the list', () => {
    expect(() => parseFaultList('create:1:devicemapper;;boot:1:x')).toThrow(FaultSpecError);
  });
});

/** A container engine that records which calls reached it. */
class RecordingEngine implements ContainerEngine {
  readonly host = 'fake://inner';
  readonly calls: string[] = [];

  async ensureImage(image: string): Promise<void> {
    this.calls.push(`pull ${image}`);
  }

  async create(spec: ContainerSpec): Promise<string> {
    this.calls.push(`create ${spec.image}`);
    return `c${this.calls.length}`;
  }

  async start(id: string, _sink: OutputSink): Promise<{ outputDone: Promise<void> }> {
    this.calls.push(`start ${id}`);
    return { outputDone: Promise.resolve() };
  }

  async wait(id: string): Promise<ContainerExit> {
    this.calls.push(`wait ${id}`);
    return { exitCode: 0, oomKilled: false };
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
  }

  async findByLabels(): Promise<FoundContainer[]> {
    this.calls.push('find');
    return [];
  }
}

const SPEC: ContainerSpec = {
  image: 'keboola/ex-cars:1.0',
  command: null,
  env: {},
  labels: {},
  dataDir: '/tmp/data',
  memoryBytes: 256 * 1024 * 1024,
  network: 'none',
};

/** Answers the EngineError a call rejects with; fails the test when the call succeeds. */
async function engineError(call: Promise<unknown>): Promise<EngineError> {
  const err = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('FaultInjectingEngine', () => {
  it('fails the first COUNT calls of a phase like the engine, then passes calls on', async () => {
    const inner = new RecordingEngine();
    const engine = new FaultInjectingEngine(inner, [parseFaultSpec('create:2:devicemapper')]);

    for (let i = 0; i < 2; i += 1) {
      const err = await engineError(engine.create(SPEC));
      expect(err.phase).toBe('create');
      expect(err.statusCode).toBe(500);
      expect(err.engineMessage).toBe(FAULT_PRESETS.devicemapper);
    }
    expect(inner.calls).toEqual([]);

    await expect(engine.create(SPEC)).resolves.toBe('c1');
    await expect(engine.create(SPEC)).resolves.toBe('c2');
    expect(inner.calls).toEqual(['create keboola/ex-cars:1.0', 'create keboola/ex-cars:1.0']);
  });

  it('leaves the other phases alone', async () => {
    const inner = new RecordingEngine();
    const engine = new FaultInjectingEngine(inner, [parseFaultSpec('wait:1:socket hang up')]);

    await engine.ensureImage('keboola/ex-cars:1.0');
    const id = await engine.create(SPEC);
    await engine.start(id, () => undefined);
    await engine.stop(id, 10);
    await engine.remove(id);
    await engine.findByLabels({ job: 'x' });

    expect(inner.calls).toEqual([
      'pull keboola/ex-cars:1.0',
      'create keboola/ex-cars:1.0',
      'start c2',
      'stop c2',
      'remove c2',
      'find',
    ]);
    expect((await engineError(engine.wait(id))).engineMessage).toBe('socket hang up');
  });

  it('names the container of a faulted start, wait or remove', async () => {
    const engine = new FaultInjectingEngine(new RecordingEngine(), [
      parseFaultSpec('start:1:devicemapper'),
      parseFaultSpec('wait:1:devicemapper'),
      parseFaultSpec('remove:1:devicemapper'),
    ]);

    const errors = [
      await engineError(engine.start('abc123', () => undefined)),
      await engineError(engine.wait('abc123')),
      await engineError(engine.remove('abc123')),
    ];

    expect(errors.map((e) => [e.phase, e.containerId])).toEqual([
      ['start', 'abc123'],
      ['wait', 'abc123'],
      ['remove', 'abc123'],
    ]);
  });

  it('fails a pull when the pull phase is faulted', async () => {
    const inner = new RecordingEngine();
    const engine = new FaultInjectingEngine(inner, [parseFaultSpec('pull:1:socket hang up')]);

    expect((await engineError(engine.ensureImage('x'))).phase).toBe('pull');
    await engine.ensureImage('x');
    expect(inner.calls).toEqual(['pull x']);
  });

  it('uses the faults of one phase one after the other', async () => {
    const engine = new FaultInjectingEngine(new RecordingEngine(), [
      parseFaultSpec('create:1:devicemapper'),
      parseFaultSpec('create:1:dev-mapper-missing'),
    ]);

    expect((await engineError(engine.create(SPEC))).engineMessage).toContain('deviceResume');
    expect((await engineError(engine.create(SPEC))).engineMessage).toContain('/dev/mapper/');
    await expect(engine.create(SPEC)).resolves.toBeTypeOf('string');
  });

  it('does not use up the specs it was given, so two engines each fail in full', async () => {
    const faults = [parseFaultSpec('create:1:devicemapper')];
    const first = new FaultInjectingEngine(new RecordingEngine(), faults);
    const second = new FaultInjectingEngine(new RecordingEngine(), faults);

    await engineError(first.create(SPEC));
    await engineError(second.create(SPEC));
    expect(faults[0]?.count).toBe(1);
  });

  it('answers the inner engine host', () => {
    expect(new FaultInjectingEngine(new RecordingEngine(), []).host).toBe('fake://inner');
  });
});
