// src/profile_lookup.cpp — see profile_lookup.h.
#include "src/profile_lookup.h"

#include <sys/stat.h>

#include <cstdlib>

namespace askfirst {
namespace {

bool is_regular_file(const std::string& path) {
    struct stat status {};
    return stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

bool is_profile_name(const std::string& text) {
    if (text.empty() || text.size() > 64) return false;
    for (char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    return true;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

}  // namespace

std::vector<std::string> profile_search_directories() {
    std::vector<std::string> directories;
    const std::string config = environment("XDG_CONFIG_HOME");
    if (!config.empty() && config.front() == '/') directories.push_back(config + "/askfirst/profiles");
    else if (const std::string home = environment("HOME"); !home.empty())
        directories.push_back(home + "/.config/askfirst/profiles");
    if (const std::string relocated = environment("ASKFIRST_PROFILE_DIR"); !relocated.empty())
        directories.push_back(relocated);
    directories.push_back(ASKFIRST_INSTALLED_PROFILE_DIR);
    directories.push_back(ASKFIRST_SOURCE_PROFILE_DIR);
    return directories;
}

Result<std::string> resolve_profile_reference(const std::string& name_or_path, const std::string& relative_to) {
    const bool looks_like_path = name_or_path.find('/') != std::string::npos || ends_with(name_or_path, ".json");
    std::string as_path = name_or_path;
    if (!relative_to.empty() && !name_or_path.empty() && name_or_path.front() != '/')
        as_path = relative_to + "/" + name_or_path;
    if (looks_like_path || is_regular_file(as_path) || !is_profile_name(name_or_path))
        return Result<std::string>::success(as_path);
    std::string looked;
    for (const auto& directory : profile_search_directories()) {
        const std::string candidate = directory + "/" + name_or_path + ".json";
        if (is_regular_file(candidate)) return Result<std::string>::success(candidate);
        looked += (looked.empty() ? "" : ", ") + candidate;
    }
    return Result<std::string>::failure("no profile named '" + name_or_path + "' (looked for " + looked +
                                        "); give a file path, or one of the built-in names (e.g. agent)");
}

}  // namespace askfirst
