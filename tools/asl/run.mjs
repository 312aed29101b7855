// Runs ASL state machines on aws-local-stepfunctions with every Task calling an HTTP endpoint
// (`xaas flow serve`), and prints one JSON result per job.
//
// usage: node run.mjs JOBS.json
//   JOBS.json: [{"definition": <ASL object>, "input": <execution input>,
//                "endpoint_base": "http://127.0.0.1:PORT"}, ...]
//   stdout:    [{"ok": true, "output": ...} | {"ok": false, "error": NAME, "cause": TEXT}, ...]
//
// Each Task of the machine (nested ones included; ASL names are unique machine-wide) gets a
// local handler: the function name is taken from Parameters.FunctionName (a Lambda ARN's
// `function:<name>` or a URL's last segment), its Payload is POSTed to <endpoint_base>/<name>,
// and the answer comes back shaped like the lambda:invoke integration's result
// ({Payload, StatusCode, ExecutedVersion}). HTTP 500 becomes a task error named after the
// function's exception type, which Catch/Retry see as Lambda would report it.
import { readFileSync } from 'node:fs';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22); Node 20 lacks it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine } = await import('aws-local-stepfunctions');

function taskNames(machine, out = []) {
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    if (state.Type === 'Task') out.push(name);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) taskNames(inner, out);
    for (const branch of state.Branches ?? []) taskNames(branch, out);
  }
  return out;
}

function functionName(endpoint) {
  const arn = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(endpoint);
  if (arn) return arn[1];
  return String(endpoint).split('?')[0].replace(/\/+$/, '').split('/').pop();
}

function handlerFor(base) {
  return async (input) => {
    const name = functionName(input.FunctionName);
    const answer = await fetch(`${base}/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input.Payload),
    });
    const body = await answer.json();
    if (answer.status !== 200) {
      const error = new Error(body.error ?? `HTTP ${answer.status}`);
      error.name = String(body.error ?? 'Lambda.Unknown').split(':')[0];
      throw error;
    }
    return { Payload: body, StatusCode: 200, ExecutedVersion: '$LATEST' };
  };
}

async function runJob(job, index) {
  const machine = new StateMachine(job.definition);
  const handler = handlerFor(job.endpoint_base);
  const taskResourceLocalHandlers = Object.fromEntries(taskNames(job.definition).map((n) => [n, handler]));
  const execution = machine.run(job.input, {
    overrides: { taskResourceLocalHandlers },
    context: {
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:local:run-${index}`,
        Name: job.request_id ?? `run-${index}`,
        Input: job.input,
        StartTime: new Date().toISOString(),
      },
    },
  });
  try {
    return { ok: true, output: await execution.result };
  } catch (error) {
    return { ok: false, error: error.name, cause: String(error.message ?? error) };
  }
}

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const [i, job] of jobs.entries()) results.push(await runJob(job, i));
process.stdout.write(JSON.stringify(results) + '\n');
