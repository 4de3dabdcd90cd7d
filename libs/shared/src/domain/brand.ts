/** A nominal type: a `string` that the compiler keeps apart from other strings. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

export type ModelId = Brand<string, 'ModelId'>;
export type ModelVersionId = Brand<string, 'ModelVersionId'>;
export type SubjectId = Brand<string, 'SubjectId'>;
/** Keyed HMAC of a SubjectId: the only subject reference allowed in events, logs and messages. */
export type SubjectRef = Brand<string, 'SubjectRef'>;
export type DatasetId = Brand<string, 'DatasetId'>;
export type RecordId = Brand<string, 'RecordId'>;
export type DeletionRequestId = Brand<string, 'DeletionRequestId'>;
export type JobId = Brand<string, 'JobId'>;
export type CertificateId = Brand<string, 'CertificateId'>;
export type CorrelationId = Brand<string, 'CorrelationId'>;

/** Cast helpers: use at the edges, after validation. */
export const ModelId = (v: string): ModelId => v as ModelId;
export const ModelVersionId = (v: string): ModelVersionId => v as ModelVersionId;
export const SubjectId = (v: string): SubjectId => v as SubjectId;
export const SubjectRef = (v: string): SubjectRef => v as SubjectRef;
export const DatasetId = (v: string): DatasetId => v as DatasetId;
export const RecordId = (v: string): RecordId => v as RecordId;
export const DeletionRequestId = (v: string): DeletionRequestId => v as DeletionRequestId;
export const JobId = (v: string): JobId => v as JobId;
export const CertificateId = (v: string): CertificateId => v as CertificateId;
export const CorrelationId = (v: string): CorrelationId => v as CorrelationId;
