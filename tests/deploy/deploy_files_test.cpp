// The deployment files of deploy/: compose.yaml and the Kubernetes manifests. Nothing here
// runs Docker or a cluster; the files are parsed and checked for what makes a deployment
// work: the configuration they give the nodes is accepted by `vigie check-config` for each
// node, every node has its own node.id, every ${NAME} the configuration uses and every file
// it names reach each node, and health checks ask /healthz on the API's port.

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "support/process.hpp"

namespace vigie {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kDeploy = std::filesystem::path(VIGIE_SOURCE_DIR) / "deploy";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A key of a compose service, looked up in the service and then in the mapping it merges
/// (`<<: *node`): yaml-cpp reads a merge key as an ordinary key.
YAML::Node field(const YAML::Node& service, const std::string& key) {
  if (service[key]) return service[key];
  const YAML::Node merged = service["<<"];
  if (merged && merged[key]) return merged[key];
  return service[key];  // undefined: tests false
}

/// The ${NAME}s the configuration text uses.
std::set<std::string> variables(const std::string& text) {
  static const std::regex kVar(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), kVar), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

/// The node configuration every node reads, and what it says of ports and files.
struct SharedConfig {
  std::string text;
  YAML::Node yaml;
  [[nodiscard]] int api_port() const { return yaml["api"]["port"].as<int>(); }
  [[nodiscard]] std::string password_file() const {
    return yaml["storage"]["postgres_password_file"].as<std::string>();
  }
  [[nodiscard]] std::string postgres_host() const {
    static const std::regex kHost(R"(^postgres(?:ql)?://(?:[^@/]*@)?([^:/?]+))");
    std::smatch m;
    const auto url = yaml["storage"]["postgres_url"].as<std::string>();
    return std::regex_search(url, m, kHost) ? m[1].str() : "";
  }
};

SharedConfig shared_config() {
  SharedConfig c;
  c.text = read_text(kDeploy / "vigie.yaml");
  c.yaml = YAML::Load(c.text);
  return c;
}

/// `vigie check-config` of `text` with `env` set as a node would have it.
test::CommandResult check_config(const std::string& text,
                                 const std::map<std::string, std::string>& env) {
  test::TempDir dir("vigie-deploy");
  const auto path = dir / "vigie.yaml";
  std::ofstream(path) << text;
  std::string command = "env";
  for (const auto& [name, value] : env) command += " " + name + "='" + value + "'";
  return test::run_command(command + " " + test::vigie_binary() + " check-config " + path.string());
}

/// Placeholder values for secrets, which check-config only needs to be set.
std::string placeholder(const std::string& name) {
  return "placeholder-for-" + name;
}

TEST(DeployFilesTest, TheSharedConfigurationNamesTheNodeFromItsEnvironment) {
  const auto config = shared_config();
  ASSERT_TRUE(config.yaml["node"]["id"]);
  EXPECT_EQ(config.yaml["node"]["id"].as<std::string>(), "${VIGIE_NODE_ID}");
  EXPECT_EQ(config.yaml["storage"]["backend"].as<std::string>(), "postgres");
  // Without an id the configuration is refused, rather than falling back on a host name
  // containers may share.
  std::map<std::string, std::string> env;
  for (const auto& name : variables(config.text)) {
    if (name != "VIGIE_NODE_ID") env[name] = placeholder(name);
  }
  const auto r = check_config(config.text, env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err + r.out, HasSubstr("VIGIE_NODE_ID is not set"));
}

TEST(DeployFilesTest, ComposeRunsThreeDistinctNodesOnOneConfigurationTheyAllAccept) {
  const auto config = shared_config();
  const YAML::Node compose = YAML::LoadFile((kDeploy / "compose.yaml").string());
  const YAML::Node services = compose["services"];
  ASSERT_TRUE(services.IsMap());
  EXPECT_TRUE(services["postgres"]) << "no postgres service";
  EXPECT_TRUE(services["mosquitto"]) << "no mosquitto service";
  EXPECT_TRUE(services[config.postgres_host()])
      << "storage.postgres_url names host " << config.postgres_host() << ", not a service";
  EXPECT_TRUE(services[config.yaml["mqtt"]["host"].as<std::string>()]);

  // The shared configuration file is the one deploy/vigie.yaml.
  ASSERT_TRUE(compose["configs"]["vigie"]);
  EXPECT_EQ(compose["configs"]["vigie"]["file"].as<std::string>(), "./vigie.yaml");

  std::set<std::string> ids;
  int nodes = 0;
  for (const auto& entry : services) {
    const std::string service_name = entry.first.as<std::string>();
    const YAML::Node service = entry.second;
    const YAML::Node env = field(service, "environment");
    if (!env || !env["VIGIE_NODE_ID"]) continue;
    ++nodes;
    SCOPED_TRACE("service " + service_name);
    const std::string id = env["VIGIE_NODE_ID"].as<std::string>();
    EXPECT_TRUE(ids.insert(id).second) << "node id " << id << " given twice";

    // The configuration, mounted where the command reads it.
    const YAML::Node command = field(service, "command");
    ASSERT_TRUE(command && command.IsSequence());
    std::vector<std::string> args;
    for (const auto& a : command) args.push_back(a.as<std::string>());
    const auto at = std::find(args.begin(), args.end(), "--config");
    ASSERT_NE(at, args.end());
    ASSERT_NE(at + 1, args.end());
    bool mounted = false;
    for (const auto& c : field(service, "configs")) {
      mounted = mounted || (c["source"].as<std::string>() == "vigie" &&
                            c["target"].as<std::string>() == *(at + 1));
    }
    EXPECT_TRUE(mounted) << "the configuration is not mounted at " << *(at + 1);

    // Every ${NAME} is set, directly or as NAME_FILE naming a secret the service mounts; the
    // database password file is a mounted secret too.
    std::set<std::string> secrets;
    for (const auto& s : field(service, "secrets")) {
      secrets.insert("/run/secrets/" + s.as<std::string>());
    }
    std::map<std::string, std::string> node_env;
    for (const auto& name : variables(config.text)) {
      if (env[name]) {
        node_env[name] = env[name].as<std::string>();
      } else if (env[name + "_FILE"]) {
        const auto file = env[name + "_FILE"].as<std::string>();
        EXPECT_TRUE(secrets.count(file)) << name << "_FILE names " << file << ", not mounted";
        node_env[name] = placeholder(name);
      } else {
        ADD_FAILURE() << "${" << name << "} is not set for this node";
      }
    }
    EXPECT_TRUE(secrets.count(config.password_file()))
        << config.password_file() << " is not mounted";

    const auto checked = check_config(config.text, node_env);
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;

    // Health is the API's /healthz, on the port the configuration gives it.
    const YAML::Node health = field(service, "healthcheck");
    ASSERT_TRUE(health && health["test"]);
    std::string test_line;
    for (const auto& part : health["test"]) test_line += part.as<std::string>() + " ";
    EXPECT_THAT(test_line, HasSubstr(fmt::format(":{}/healthz", config.api_port())));
  }
  EXPECT_GE(nodes, 3);
}

/// Every document of every manifest in deploy/kubernetes, by kind and name.
std::map<std::string, YAML::Node> manifests() {
  std::map<std::string, YAML::Node> out;
  for (const auto& file : std::filesystem::directory_iterator(kDeploy / "kubernetes")) {
    if (file.path().filename() == "kustomization.yaml") continue;
    for (const auto& doc : YAML::LoadAllFromFile(file.path().string())) {
      if (!doc || !doc["kind"]) continue;
      out[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] = doc;
    }
  }
  return out;
}

TEST(DeployFilesTest, KustomizationListsEveryManifest) {
  const YAML::Node k = YAML::LoadFile((kDeploy / "kubernetes" / "kustomization.yaml").string());
  std::set<std::string> listed;
  for (const auto& r : k["resources"]) listed.insert(r.as<std::string>());
  for (const auto& file : std::filesystem::directory_iterator(kDeploy / "kubernetes")) {
    const auto name = file.path().filename().string();
    if (name == "kustomization.yaml") continue;
    EXPECT_TRUE(listed.count(name)) << name << " is not in kustomization.yaml";
    EXPECT_TRUE(std::filesystem::exists(kDeploy / "kubernetes" / name));
  }
  for (const auto& name : listed) {
    EXPECT_TRUE(std::filesystem::exists(kDeploy / "kubernetes" / name)) << name;
  }
}

TEST(DeployFilesTest, KubernetesNodesShareTheConfigMapAndHaveDistinctIdsAndHealthProbes) {
  const auto config = shared_config();
  const auto all = manifests();
  ASSERT_TRUE(all.count("ConfigMap/vigie-config"));
  ASSERT_TRUE(all.count("Secret/vigie-secrets"));
  ASSERT_TRUE(all.count("StatefulSet/vigie"));
  EXPECT_TRUE(all.count("Service/" + config.postgres_host()))
      << "no Service named as storage.postgres_url's host " << config.postgres_host();

  // The ConfigMap holds deploy/vigie.yaml's text, the one configuration of both deployments.
  const auto text = all.at("ConfigMap/vigie-config")["data"]["vigie.yaml"].as<std::string>();
  EXPECT_EQ(text, config.text) << "deploy/kubernetes/configmap.yaml differs from deploy/vigie.yaml";

  const YAML::Node secret = all.at("Secret/vigie-secrets");
  const YAML::Node set = all.at("StatefulSet/vigie");
  const int replicas = set["spec"]["replicas"].as<int>();
  EXPECT_GE(replicas, 3);
  const YAML::Node pod = set["spec"]["template"]["spec"];
  ASSERT_EQ(pod["containers"].size(), 1U);
  const YAML::Node container = pod["containers"][0];

  // The node id is the pod's name: distinct for every replica of a StatefulSet.
  std::map<std::string, YAML::Node> env;
  for (const auto& e : container["env"]) {
    env[e["name"].as<std::string>()] = static_cast<const YAML::Node&>(e);
  }
  ASSERT_TRUE(env.count("VIGIE_NODE_ID"));
  EXPECT_EQ(env["VIGIE_NODE_ID"]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(),
            "metadata.name");

  // Every ${NAME} is set, from the Secret's keys where it is one.
  for (const auto& name : variables(config.text)) {
    if (name == "VIGIE_NODE_ID") continue;
    ASSERT_TRUE(env.count(name)) << "${" << name << "} is not set for the pods";
    const YAML::Node ref = env[name]["valueFrom"]["secretKeyRef"];
    if (ref) {
      EXPECT_EQ(ref["name"].as<std::string>(), "vigie-secrets");
      EXPECT_TRUE(secret["stringData"][ref["key"].as<std::string>()])
          << "the Secret has no key " << ref["key"].as<std::string>();
    }
  }

  // Mounts: the ConfigMap where --config reads it, the password file from the Secret.
  std::map<std::string, std::string> mounts;  // volume -> path
  for (const auto& m : container["volumeMounts"]) {
    mounts[m["name"].as<std::string>()] = m["mountPath"].as<std::string>();
  }
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["volumes"]) {
    volumes[v["name"].as<std::string>()] = static_cast<const YAML::Node&>(v);
  }
  std::vector<std::string> args;
  for (const auto& a : container["args"]) args.push_back(a.as<std::string>());
  const auto at = std::find(args.begin(), args.end(), "--config");
  ASSERT_TRUE(at != args.end() && at + 1 != args.end());
  bool config_mounted = false;
  bool password_mounted = false;
  for (const auto& [volume, path] : mounts) {
    if (!volumes.count(volume)) continue;
    const YAML::Node v = volumes[volume];
    if (v["configMap"] && v["configMap"]["name"].as<std::string>() == "vigie-config") {
      config_mounted = config_mounted || path + "/vigie.yaml" == *(at + 1);
    }
    if (v["secret"] && v["secret"]["secretName"].as<std::string>() == "vigie-secrets") {
      for (const auto& item : v["secret"]["items"]) {
        if (path + "/" + item["path"].as<std::string>() == config.password_file()) {
          password_mounted = true;
          EXPECT_TRUE(secret["stringData"][item["key"].as<std::string>()]);
        }
      }
    }
  }
  EXPECT_TRUE(config_mounted) << "the ConfigMap is not mounted where --config reads it";
  EXPECT_TRUE(password_mounted) << config.password_file() << " is not mounted from the Secret";

  // Readiness and liveness ask /healthz on the API's port.
  std::map<std::string, int> ports;
  for (const auto& p : container["ports"]) {
    ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
  }
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    SCOPED_TRACE(probe);
    const YAML::Node get = container[probe]["httpGet"];
    ASSERT_TRUE(get);
    EXPECT_EQ(get["path"].as<std::string>(), "/healthz");
    const std::string port = get["port"].as<std::string>();
    const int number = ports.count(port) ? ports[port] : std::atoi(port.c_str());
    EXPECT_EQ(number, config.api_port());
  }

  // The configuration as each pod reads it.
  for (int i = 0; i < replicas; ++i) {
    std::map<std::string, std::string> pod_env{{"VIGIE_NODE_ID", "vigie-" + std::to_string(i)}};
    for (const auto& name : variables(config.text)) {
      if (name != "VIGIE_NODE_ID") pod_env[name] = placeholder(name);
    }
    const auto checked = check_config(text, pod_env);
    EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  }
}

TEST(DeployFilesTest, TheImageIsBuiltFromDebianPackagesAndRunsTheEntrypoint) {
  const std::string dockerfile = read_text(kDeploy / "Dockerfile");
  std::istringstream in(dockerfile);
  int from = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("FROM ", 0) == 0) {
      ++from;
      EXPECT_THAT(line, HasSubstr("debian:12")) << line;
    }
    // Packages only through apt-get: no other installer, nothing downloaded.
    for (const char* banned : {"curl -", "wget ", "pip ", "npm ", "ADD http"}) {
      EXPECT_EQ(line.find(banned), std::string::npos) << line;
    }
  }
  EXPECT_GE(from, 1);
  EXPECT_THAT(dockerfile, HasSubstr("deploy/entrypoint.sh"));
  const YAML::Node compose = YAML::LoadFile((kDeploy / "compose.yaml").string());
  for (const auto& entry : compose["services"]) {
    const YAML::Node build = field(entry.second, "build");
    if (!build) continue;
    EXPECT_EQ(build["dockerfile"].as<std::string>(), "deploy/Dockerfile");
    EXPECT_TRUE(std::filesystem::exists(kDeploy / build["context"].as<std::string>() /
                                        build["dockerfile"].as<std::string>()));
  }
}

TEST(DeployFilesTest, TheEntrypointExportsSecretFilesAndRefusesAMissingOne) {
  // A stand-in for vigie that prints what it was given.
  test::TempDir dir("vigie-entrypoint");
  const auto bin = dir / "bin";
  std::filesystem::create_directories(bin);
  std::ofstream(bin / "vigie") << "#!/bin/sh\necho \"args=$*\"\necho \"secret=$DEMO_SECRET\"\n";
  std::filesystem::permissions(bin / "vigie", std::filesystem::perms::owner_all);
  const std::string entry = (kDeploy / "entrypoint.sh").string();
  // Only files under /run/secrets/ are read: a NAME_FILE naming another place is left alone.
  auto r = test::run_command("env PATH=" + bin.string() + ":/usr/bin:/bin OTHER_FILE=/etc/x sh " +
                             entry + " run --config /etc/vigie/vigie.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("args=run --config /etc/vigie/vigie.yaml"));
  r = test::run_command("env PATH=" + bin.string() +
                        ":/usr/bin:/bin DEMO_SECRET_FILE=/run/secrets/vigie-test-absent sh " +
                        entry + " run");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("DEMO_SECRET_FILE names /run/secrets/vigie-test-absent"));
}

}  // namespace
}  // namespace vigie
