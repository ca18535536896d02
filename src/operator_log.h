// src/operator_log.h — askfirstd's stderr log for operators: one short
// `key=value` line per event, prefixed with the session name
// ("askfirstd name=vm1 event=flow_refused dst=10.0.2.2:22 reason=\"...\"").
// Never chatty on the hot path: per-flow lines only with -v.
#pragma once

#include <cstdio>
#include <string>

namespace askfirst {

class OperatorLog {
public:
    explicit OperatorLog(std::string name) : prefix_("askfirstd name=" + std::move(name) + " ") {}
    void line(const std::string& text) const {
        std::fprintf(stderr, "%s%s\n", prefix_.c_str(), text.c_str());
    }

private:
    std::string prefix_;
};

}  // namespace askfirst
