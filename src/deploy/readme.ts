/** The output's README and the "next steps" the CLI prints: the same commands, with variable names and never values. */
import { hostPortVariable } from './compose.js';
import { MANIFEST_DIR, SCRAPE_INTERVAL, createSecretCommand } from './kubernetes.js';
import { manualPruneCommands } from './prune.js';
import {
  bundledRedisUrl,
  CONTAINER_PORT,
  LIVENESS_PATH,
  NODE_IMAGE,
  READINESS_PATH,
  REDIS_IMAGE,
  type ServiceSpec,
} from './spec.js';
import { oneLine } from '../core/text/one-line.js';

/** A shell-safe rendering of a path for copy-pasted commands. */
function shellPath(path: string): string {
  return /^[A-Za-z0-9_./~-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** Whether `docker push` makes sense for this image (it names a registry or a Docker Hub namespace). */
export function isPushable(image: string): boolean {
  return image.split('@')[0]!.includes('/');
}

/** The commands that run the deployment, for a context at `dir` (as seen from where they are typed). */
export function nextSteps(spec: ServiceSpec, dir: string): string[] {
  const d = shellPath(dir);
  const steps: string[] = [
    '# the token clients must send; generate one and keep it (e.g. in your password manager):',
    'export AGENTOR_TOKEN="$(openssl rand -hex 32)"',
  ];
  // The other values the service cannot start without (the model key, what its MCP servers reference).
  for (const v of spec.variables.filter((x) => x.required && x.name !== 'AGENTOR_TOKEN')) {
    const set = `export ${v.name}=…`;
    steps.push(`${set.padEnd(Math.max(40, set.length + 1))}# if it is not already set`);
  }
  const chat = `curl -N -H "Authorization: Bearer $AGENTOR_TOKEN" -H 'Content-Type: application/json' -d '{"input":"hello","stream":true}' http://localhost:${CONTAINER_PORT}/chat`;
  if (spec.target === 'docker') {
    const env = spec.variables.map((v) => `-e ${v.name}`).join(' ');
    steps.push(
      `docker build -t ${spec.image} ${d}`,
      `docker run --rm --init -p ${CONTAINER_PORT}:${CONTAINER_PORT} ${env} ${spec.image}`,
      `curl http://localhost:${CONTAINER_PORT}${READINESS_PATH}`,
      chat,
    );
  } else if (spec.target === 'compose') {
    steps.push(
      `docker compose -f ${shellPath(joinPath(dir, 'compose.yaml'))} up --build -d --remove-orphans`,
      `curl http://localhost:${CONTAINER_PORT}${READINESS_PATH}            # host port: $${hostPortVariable(spec)} (default ${CONTAINER_PORT})`,
      chat,
    );
  } else {
    steps.push(`docker build -t ${spec.image} ${d}`);
    if (isPushable(spec.image)) steps.push(`docker push ${spec.image}`);
    else
      steps.push(
        `# ${spec.image} names no registry: push it somewhere the cluster can pull from (re-run with --image <registry>/<name>:<tag>),`,
        `# or load it into a local cluster, e.g. kind load docker-image ${spec.image}`,
      );
    if (spec.store?.kind === 'secret')
      steps.push(
        `# the URL of your Redis (redis://:password@host:6379/0, rediss:// for TLS), kept in its own Secret:`,
        `kubectl create secret generic ${spec.store.secretName} --from-literal=${spec.store.key}="$REDIS_URL"`,
      );
    steps.push(
      createSecretCommand(spec, { includeOptional: false }),
      `kubectl apply -f ${shellPath(joinPath(dir, MANIFEST_DIR))}`,
      ...pruneSteps(spec),
      `kubectl rollout status deployment/${spec.name}`,
      `kubectl port-forward service/${spec.name} ${CONTAINER_PORT}:80`,
      chat,
    );
  }
  return steps;
}

/** After a re-deploy: delete what an earlier one created that this plan no longer has (only agentor's own objects). */
function pruneSteps(spec: ServiceSpec): string[] {
  const commands = manualPruneCommands(spec);
  if (commands.length === 0) return [];
  return [
    `# re-deploying with other settings? remove what an earlier deploy created and this one no longer has (agentor's objects for ${spec.name} only, by label):`,
    ...commands,
  ];
}

/** Where the scrape and the traces go, and how to point the service at an OpenTelemetry collector for this target. */
function observabilitySection(spec: ServiceSpec): string {
  const endpoint = 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const collector = 'http://otel-collector:4318';
  const how =
    spec.target === 'kubernetes'
      ? [
          'Set them on the Deployment (`kubectl apply` of this directory keeps variables set this way):',
          '',
          '```sh',
          `kubectl set env deployment/${spec.name} ${endpoint}=${collector} OTEL_SERVICE_NAME=${spec.name}`,
          '```',
        ]
      : spec.target === 'compose'
        ? [
            'Set them in a `compose.override.yaml` next to `compose.yaml` (Compose merges it; this directory is regenerated):',
            '',
            '```yaml',
            'services:',
            `  ${spec.name}:`,
            '    environment:',
            `      ${endpoint}: ${collector}`,
            `      OTEL_SERVICE_NAME: ${spec.name}`,
            '```',
          ]
        : [
            'Pass them to the container:',
            '',
            '```sh',
            `docker run … -e ${endpoint}=${collector} -e OTEL_SERVICE_NAME=${spec.name} ${spec.image}`,
            '```',
          ];
  return [
    '## Metrics and traces',
    '',
    '`GET /metrics` answers in the Prometheus text format (runs, latency, tokens, tool calls, upstream errors, MCP',
    'servers) and needs the bearer token like every other route. Traces (OpenTelemetry, GenAI conventions) are off until',
    `the standard variables point at a collector: \`${endpoint}\` (OTLP over HTTP, port 4318) and \`OTEL_SERVICE_NAME\`.`,
    ...how,
  ].join('\n');
}

function joinPath(dir: string, file: string): string {
  return dir === '.' || dir === '' ? file : `${dir.replace(/\/+$/, '')}/${file}`;
}

/** README.md of the output directory. */
export function readme(spec: ServiceSpec): string {
  const vars = spec.variables
    .map(
      (v) =>
        `| \`${v.name}\` | ${v.secret ? 'secret' : 'config'} | ${v.required ? 'required' : 'optional'} | ${v.description} |`,
    )
    .join('\n');
  const files = [
    '- `Dockerfile` — `' +
      NODE_IMAGE +
      `\`, non-root user, \`WORKDIR /app\`, a \`HEALTHCHECK\` on \`${READINESS_PATH}\`, \`CMD\` running \`agentor serve\`.`,
    '- `.dockerignore` — an allow-list: only `package.json`, `dist/agentor.mjs` and `agents/` reach the image.',
    '- `.gitignore` — keeps the bundle and any `.env` here out of git (re-running `agentor deploy` re-creates the bundle).',
    '- `dist/agentor.mjs` — agentor and its dependencies bundled into one file (no `npm install` in the image).',
    `- \`agents/${spec.agentFile}\` — the agent file (its instructions are the system prompt).`,
    ...(spec.target === 'compose'
      ? [
          '- `compose.yaml` — the service, its port, health check and environment (variable references only).' +
            (spec.store
              ? ` ${spec.replicas} replica(s) (host ports ${CONTAINER_PORT}–${CONTAINER_PORT + spec.replicas - 1}), sharing the \`redis\` service (${REDIS_IMAGE}, data on the \`redis-data\` volume, no published port) through \`AGENTOR_STORE\`.`
              : ''),
        ]
      : []),
    ...(spec.target === 'kubernetes'
      ? [
          `- \`${MANIFEST_DIR}/deployment.yaml\`, \`${MANIFEST_DIR}/service.yaml\` — ${spec.replicas} replica(s), liveness on \`${LIVENESS_PATH}\` and readiness on \`${READINESS_PATH}\`, resources, secrets via \`secretKeyRef\`.`,
          ...(spec.replicas > 1
            ? [`- \`${MANIFEST_DIR}/pdb.yaml\` — a PodDisruptionBudget: drains take down one pod at a time.`]
            : []),
          spec.serviceMonitor
            ? `- \`${MANIFEST_DIR}/servicemonitor.yaml\` — a ServiceMonitor: the Prometheus operator scrapes \`/metrics\` of every pod every ${SCRAPE_INTERVAL}, with the token from the Secret \`${spec.secretName}\` (needs the operator's CRDs; its Prometheus must select this ServiceMonitor, e.g. by a \`release\` label).`
            : '  The pods carry `prometheus.io/scrape`, `prometheus.io/port` and `prometheus.io/path` annotations for annotation-based discovery (the scrape needs the token); `--service-monitor` writes a ServiceMonitor for the Prometheus operator instead.',
          ...(spec.store?.kind === 'bundled'
            ? [
                `- \`${MANIFEST_DIR}/redis.yaml\`, \`${MANIFEST_DIR}/redis-service.yaml\` — the Redis the replicas share: a one-replica StatefulSet of ${REDIS_IMAGE} with a 1Gi PersistentVolume and probes, and its Service (\`AGENTOR_STORE=${bundledRedisUrl(spec)}\`).`,
              ]
            : []),
          spec.store
            ? '  Sessions (`session_id`, A2A `contextId`), A2A tasks and cancels are shared through Redis: any pod serves any request.'
            : "  Conversations (`session_id`, A2A `contextId`) live in one pod's memory: the Service keeps each client on one pod (`sessionAffinity: ClientIP`).",
        ]
      : []),
  ].join('\n');
  const secretSection =
    spec.target === 'kubernetes'
      ? [
          '',
          '## The Secret',
          '',
          `The Deployment reads its secrets from the Secret \`${spec.secretName}\`, which is not part of this directory.`,
          'Create it from values in your shell (nothing is written to disk or to this repository):',
          '',
          '```sh',
          createSecretCommand(spec, { includeOptional: false }),
          '```',
          '',
          'Optional settings go in the same Secret. To change values later, regenerate it and apply it in place:',
          '',
          '```sh',
          `${createSecretCommand(spec, { includeOptional: true })} \\\n    --dry-run=client -o yaml | kubectl apply -f -`,
          `kubectl rollout restart deployment/${spec.name}`,
          '```',
        ].join('\n')
      : '';
  return `# ${spec.name}

The agentor agent **${oneLine(spec.agentName, 80)}** as a self-contained HTTP service: probes (\`GET ${LIVENESS_PATH}\`,
\`GET ${READINESS_PATH}\`; \`/health\` is \`${LIVENESS_PATH}\`), \`POST /chat\` (SSE),
\`GET /ws\` (WebSocket), A2A (\`/.well-known/agent-card.json\`) and an OpenAI-compatible \`/v1\`.
Generated by \`agentor deploy --target ${spec.target}\` (agentor ${spec.agentorVersion}). Re-running the same command
updates this directory in place; do not edit the generated files.

Image: \`${spec.image}\`

## Files

${files}

## Variables

Only names appear here; set the values where the service runs. Every route but the probes and the agent card requires
\`Authorization: Bearer $AGENTOR_TOKEN\`.

| Variable | Kind | | Meaning |
| --- | --- | --- | --- |
${vars}
${secretSection}

${observabilitySection(spec)}

## Run it

\`\`\`sh
${nextSteps(spec, '.').join('\n')}
\`\`\`
`;
}
