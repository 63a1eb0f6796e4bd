/**
 * JSON schemas of every route's params, query string and body (validated by Fastify's Ajv with type coercion
 * and silent removal of unknown fields turned OFF: a wrong type or an unknown field is a 400 naming it).
 * Query-string numbers are strings with a digits pattern (no coercion), parsed by the handlers.
 */
import { ANNOTATOR_NAME_PATTERN, ID_PATTERN, MAX_LABEL_LENGTH, MAX_RANKING_SAMPLES } from '../feedback/validate.js';
import { MAX_ITERATION, MAX_NOTE_LENGTH } from '../store/common.js';
import { ROLES, RUN_STATUSES } from '../store/types.js';

const id = { type: 'string', pattern: ID_PATTERN.source } as const;
const annotatorName = { type: 'string', pattern: ANNOTATOR_NAME_PATTERN.source } as const;
const digits = { type: 'string', pattern: '^[0-9]{1,9}$' } as const;
const status = { type: 'string', enum: [...RUN_STATUSES] } as const;
const jsonObject = { type: 'object' } as const;

export const runParams = { type: 'object', required: ['runId'], additionalProperties: false, properties: { runId: id } } as const;
export const queryParams = { type: 'object', required: ['queryId'], additionalProperties: false, properties: { queryId: id } } as const;
export const nameParams = { type: 'object', required: ['name'], additionalProperties: false, properties: { name: annotatorName } } as const;

export const emptyQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const judgementSchema = {
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'sampleId', 'value'],
      additionalProperties: false,
      properties: { kind: { const: 'rating' }, sampleId: id, value: { type: 'number' } },
    },
    {
      type: 'object',
      required: ['kind', 'leftId', 'rightId', 'preferred'],
      additionalProperties: false,
      properties: {
        kind: { const: 'comparison' },
        leftId: id,
        rightId: id,
        preferred: { type: 'string', enum: ['left', 'right', 'tie', 'skip'] },
      },
    },
    {
      type: 'object',
      required: ['kind', 'sampleIds'],
      additionalProperties: false,
      properties: {
        kind: { const: 'ranking' },
        sampleIds: { type: 'array', minItems: 2, maxItems: MAX_RANKING_SAMPLES, uniqueItems: true, items: id },
      },
    },
    {
      type: 'object',
      required: ['kind', 'sampleId', 'label'],
      additionalProperties: false,
      properties: {
        kind: { const: 'correction' },
        sampleId: id,
        label: { anyOf: [{ type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH }, { type: 'number' }] },
        correct: { type: 'boolean' },
      },
    },
  ],
} as const;

export const judgementBody = {
  type: 'object',
  required: ['judgement'],
  additionalProperties: false,
  properties: { judgement: judgementSchema, next: { type: 'boolean' }, leaseSeconds: { type: 'integer', minimum: 5, maximum: 3600 } },
} as const;

export const leaseBody = {
  type: 'object',
  additionalProperties: false,
  properties: { leaseSeconds: { type: 'integer', minimum: 5, maximum: 3600 } },
} as const;

export const progressQuery = { type: 'object', required: ['runId'], additionalProperties: false, properties: { runId: id } } as const;

export const myJudgementsQuery = {
  type: 'object',
  required: ['runId'],
  additionalProperties: false,
  properties: { runId: id, limit: digits, offset: digits },
} as const;

export const createAnnotatorBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: annotatorName, role: { type: 'string', enum: [...ROLES] } },
} as const;

export const patchAnnotatorBody = {
  type: 'object',
  required: ['disabled'],
  additionalProperties: false,
  properties: { disabled: { type: 'boolean' } },
} as const;

export const adjudicationBody = {
  type: 'object',
  required: ['judgement'],
  additionalProperties: false,
  properties: { judgement: judgementSchema, note: { type: 'string', maxLength: MAX_NOTE_LENGTH } },
} as const;

export const adjudicationsQuery = { type: 'object', additionalProperties: false, properties: { queryId: id, limit: digits, offset: digits } } as const;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    runId: id,
    queryId: id,
    annotator: annotatorName,
    action: { type: 'string', enum: ['retract', 'adjudicate', 'disable', 'enable'] },
    limit: digits,
    offset: digits,
  },
} as const;

export const createRunBody = {
  type: 'object',
  required: ['domain'],
  additionalProperties: false,
  properties: { id, domain: id, config: jsonObject, status },
} as const;

export const patchRunBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { status, config: jsonObject },
} as const;

const sampleSchema = {
  type: 'object',
  required: ['id', 'domain', 'payload'],
  additionalProperties: false,
  properties: { id, domain: id, payload: {} },
} as const;

export const queryInputSchema = {
  type: 'object',
  required: ['id', 'kind', 'samples', 'iteration'],
  additionalProperties: false,
  properties: {
    id,
    runId: id,
    kind: { type: 'string', enum: ['rating', 'comparison', 'ranking', 'correction'] },
    samples: { type: 'array', minItems: 1, maxItems: MAX_RANKING_SAMPLES, items: sampleSchema },
    iteration: { type: 'integer', minimum: 0, maximum: MAX_ITERATION },
    predicted: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

export const addQueriesBody = {
  type: 'object',
  required: ['queries'],
  additionalProperties: false,
  properties: {
    queries: { type: 'array', maxItems: 10000, items: queryInputSchema },
    redundancy: { type: 'integer', minimum: 1, maximum: 100 },
  },
} as const;

export const listQueriesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: ['pending', 'leased', 'done'] }, iteration: digits, limit: digits, offset: digits },
} as const;

export const listJudgementsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { iteration: digits, annotator: { type: 'string', pattern: '^(teacher:)?[A-Za-z0-9_.-]{1,64}$' }, limit: digits, offset: digits },
} as const;

export const agreementQuery = { type: 'object', additionalProperties: false, properties: { iteration: digits } } as const;

export const eventBody = {
  type: 'object',
  required: ['type', 'data'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: '^[A-Za-z0-9_./:-]{1,64}$' },
    iteration: { type: ['integer', 'null'], minimum: 0, maximum: MAX_ITERATION },
    data: jsonObject,
  },
} as const;

/** No `token`: tokens are never accepted in URLs (send the Authorization header, e.g. with fetch streaming). */
export const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { after: digits },
} as const;
