// src/credentials/sandbox_stubs.h — what the sandbox is given instead of the
// real credentials: for each profile entry its stub values, the variables
// `askfirst exec` sets to them (guest_env; AWS_* for aws-sigv4), the source
// variable it must clear and the source file it must hide (issue 13, "Stubs
// into the sandbox"). askfirstd writes this JSON after its ready byte on
// --ready-fd (src/askfirstd.cpp); `askfirst exec` reads it
// (tools/exec_credentials.h), and so does askfirst-vm, which puts the same
// stubs into its guest (tools/askfirst_tools/guest_stubs.py). Nothing in it is secret: stubs are worthless
// outside askfirstd, and a real value never appears.
//
//   {"credentials": [{"name", "kind", "hosts": [...], "guest_env": [...],
//     "source_env": "VAR" | absent, "source_file": "/abs/path" | absent,
//     "source_key_file": "/abs/path" | absent (kube client certificate key),
//     "stub": "...", "access_key_id", "secret_access_key", "session_token",
//     "client_certificate", "client_key" (kube: the stub pair, PEM)}]}
#pragma once

#include <string>

#include "src/credentials/credential_broker.h"
#include "src/profile.h"

namespace askfirst::credentials {

// "" when the profile has no credentials.
std::string sandbox_stubs_json(const Profile& profile, const CredentialBroker& broker);

}  // namespace askfirst::credentials
