// classifiers/supabase_project.h — a Supabase project host's endpoints
// (<ref>.supabase.co): the Data API (PostgREST), Storage, Auth admin,
// Edge Functions and pg_graphql. Called by classifiers/supabase.cpp.
#pragma once

#include "classifiers/classification.h"

namespace askfirst::classifiers {

Classification classify_supabase_project(const HttpRequest& request);
bool supabase_project_needs_body(const HttpRequest& head);

}  // namespace askfirst::classifiers
