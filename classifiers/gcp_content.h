// classifiers/gcp_content.h — the Google Cloud requests whose body or
// protocol decides the label: BigQuery queries and jobs (SQL via
// classifiers/sql.h), Firestore/Datastore commits with deletes, the Cloud
// Storage XML API (S3-like), and `/batch` multipart envelopes.
// Called by classifiers/gcp.cpp once it has recognised the request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/route_template.h"

namespace askfirst::classifiers {

// A label raised (or lowered, for dry runs) by content, with its notes.
struct GcpContentVerdict {
    Tier tier = Tier::write;
    std::string operation;  // empty: keep the REST operation name
    std::vector<std::string> flags;
};

// BigQuery `POST …/projects/{p}/queries` and `…/jobs` (incl. /upload/…).
bool is_bigquery_query_or_job(std::string_view method, const RequestPath& path);
GcpContentVerdict judge_bigquery(const HttpRequest& request, const RequestPath& path);

// BigQuery `PATCH|PUT …/datasets/{d}/tables/{t}`: an `expirationTime` or a
// `timePartitioning.expirationMs` under a day deletes the table, or its
// older partitions, at once (destructive, ttl-expires-now).
bool is_bigquery_table_update(std::string_view method, const RequestPath& path);
GcpContentVerdict judge_bigquery_table_update(const HttpRequest& request);

// Firestore `…/documents:commit|:batchWrite`, Datastore `…:commit`.
bool is_document_commit(std::string_view method, std::string_view custom_verb);
GcpContentVerdict judge_document_commit(const HttpRequest& request);

// Cloud Storage bucket updates that carry a lifecycle: JSON API PATCH/PUT
// `/storage/v1/b/{bucket}`, XML API PUT `?lifecycle`. A rule whose action is
// Delete deletes the objects it matches, as S3's Expiration (§1): destructive.
bool is_bucket_lifecycle_update(const HttpRequest& head, const RequestPath& path);
GcpContentVerdict judge_bucket_lifecycle(const HttpRequest& request, const RequestPath& path);

// The Cloud Storage XML API on storage.googleapis.com (not /storage/v1).
bool is_gcs_xml(const HttpRequest& request, const RequestPath& path);
Classification classify_gcs_xml(const HttpRequest& request, const RequestPath& path);

// `POST /batch/…` multipart/mixed: each part holds one HTTP request line.
bool is_batch(std::string_view method, const RequestPath& path);

// Calls `inner(method, path)` for each request line found in a batch body;
// returns how many were found.
template <typename Inner>
int for_each_batch_part(std::string_view body, Inner inner);

}  // namespace askfirst::classifiers

#include "classifiers/gcp_batch_parts.h"
