use figment::Jail;

use super::subst::expand;
use super::*;

fn env(name: &str) -> Option<String> {
    (name == "SET").then(|| "value".to_owned())
}

#[test]
fn variables_expand_with_defaults_and_escapes() {
    assert_eq!(expand("a-${SET}-b", &env).unwrap(), "a-value-b");
    assert_eq!(expand("${UNSET:-fallback}", &env).unwrap(), "fallback");
    assert_eq!(expand("cost: $$5 and $x", &env).unwrap(), "cost: $5 and $x");
    let err = expand("${UNSET}", &env).unwrap_err();
    assert!(err.contains("UNSET"), "{err}");
    assert!(expand("${unterminated", &env).is_err());
    assert!(expand("${1BAD}", &env).is_err());
}

#[test]
fn the_api_rate_limit_keys_take_their_new_names_over_the_old_ones() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "hookwire.toml",
            "api_rate_limit_per_second = 3\nrate_limit_per_second = 9\napi_rate_limit_burst = 4\n",
        )?;
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        assert_eq!(
            (c.api_rate_limit_per_second, c.api_rate_limit_burst),
            (3, 4)
        );
        assert_eq!(c.deprecations.len(), 1, "{:?}", c.deprecations);
        jail.create_file("new.toml", "api_rate_limit_per_second = 3\n")?;
        let c = Config::load(Some(Path::new("new.toml"))).expect("loads");
        assert!(c.deprecations.is_empty());
        Ok(())
    });
}

#[test]
fn a_toml_file_is_loaded_with_env_overrides_and_substitution() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "hookwire.toml",
            r#"
            listen = "127.0.0.1:9999"
            rate_limit_per_second = 5
            [[event_types]]
            name = "artifact.completed"
            description = "An artifact finished"
            [[webhooks]]
            url = "https://93.184.216.34/hook"
            events = ["artifact.*"]
            secret = "${HOOK_SECRET}"
            filter = { "data.size" = { "$gte" = 1024 }, "$not" = { "data.kind" = "log" } }
            "#,
        )?;
        jail.set_env("HOOK_SECRET", "s3cr3t-value");
        jail.set_env("HOOKWIRE_RATE_LIMIT_PER_SECOND", "7");
        jail.set_env("HOOKWIRE_URL", "ignored: belongs to the CLI");
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        assert_eq!(c.listen, "127.0.0.1:9999");
        assert_eq!(c.api_rate_limit_per_second, 7);
        assert_eq!(c.api_rate_limit_burst, 2000);
        assert_eq!(
            c.deprecations,
            ["config key rate_limit_per_second is deprecated; it is now \
              api_rate_limit_per_second (same meaning)"; 2],
            "the old name, once from the file and once from the environment"
        );
        assert_eq!(c.event_types[0].name, "artifact.completed");
        assert_eq!(c.webhooks[0].secret.as_deref(), Some("s3cr3t-value"));
        assert_eq!(
            c.webhooks[0].filter,
            Some(serde_json::json!({"data.size": {"$gte": 1024}, "$not": {"data.kind": "log"}})),
            "a TOML table is the filter's JSON object"
        );
        Ok(())
    });
}

#[test]
fn a_yaml_file_is_loaded_too() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "hookwire.yaml",
            "allow_http: true\ndatabase_url: postgres://localhost/hw\n",
        )?;
        let c = Config::load(None).expect("finds ./hookwire.yaml");
        assert!(c.allow_http);
        assert_eq!(c.database_url, "postgres://localhost/hw");
        Ok(())
    });
}

#[test]
fn errors_name_the_key_or_variable_at_fault() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "a.toml",
            "[[webhooks]]\nurl = \"${MISSING_VAR}\"\nevents=[\"*\"]\n",
        )?;
        let e = Config::load(Some(Path::new("a.toml")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("MISSING_VAR") && e.contains("webhooks[0].url"),
            "{e}"
        );

        jail.create_file("b.toml", "rate_limit_burst = \"lots\"\n")?;
        let e = Config::load(Some(Path::new("b.toml")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rate_limit_burst"), "{e}");

        jail.create_file("c.toml", "listen = \"nowhere\"\n")?;
        let e = Config::load(Some(Path::new("c.toml")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("listen"), "{e}");

        jail.create_file("d.toml", "no_such_key = 1\n")?;
        let e = Config::load(Some(Path::new("d.toml")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no_such_key"), "{e}");

        jail.set_env("HOOKWIRE_MAX_BODY_BYTES", "-3");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("max_body_bytes") || e.contains("MAX_BODY_BYTES"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn the_shipped_example_config_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hookwire.example.toml");
    let c = Config::load(Some(&path)).expect("hookwire.example.toml is valid");
    assert_eq!(c.listen, Config::default().listen);
    assert_eq!(c.event_types.len(), 2);
}

#[test]
fn a_bad_value_is_reported_by_its_key_without_figments_internals() {
    for (file, expected) in [
        (
            "retention_days = \"soon\"\n",
            "retention_days: invalid type",
        ),
        ("bogus_key = 1\n", "bogus_key: unknown field"),
        ("[[webhooks]]\nurl = 5\n", "webhooks.0.url: invalid type"),
    ] {
        Jail::expect_with(|jail| {
            jail.create_file("hookwire.toml", file)?;
            let err = Config::load(Some(Path::new("hookwire.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{expected} in: {err}");
            assert!(err.ends_with("(config file hookwire.toml)"), "{err}");
            for internal in ["config.rs", "BTreeMap", "figment"] {
                assert!(!err.contains(internal), "{internal} in: {err}");
            }
            Ok(())
        });
    }
}

#[test]
fn the_database_pool_size_is_a_key_and_an_env_var() {
    Jail::expect_with(|jail| {
        jail.create_file("hookwire.toml", "database_max_connections = 8\n")?;
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        assert_eq!(c.open_options().unwrap().max_connections, 8);
        jail.set_env("HOOKWIRE_DATABASE_MAX_CONNECTIONS", "4");
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        assert_eq!(c.database_max_connections, 4);
        jail.set_env("HOOKWIRE_DATABASE_MAX_CONNECTIONS", "0");
        let err = Config::load(Some(Path::new("hookwire.toml"))).unwrap_err();
        assert!(
            err.to_string().contains("database_max_connections"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn default_retry_fills_missing_fields_and_names_a_bad_one() {
    Jail::expect_with(|jail| {
        jail.create_file("hookwire.toml", "[default_retry]\nmax_attempts = 12\n")?;
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        let policy = c.engine_options().default_retry;
        assert_eq!(policy.max_attempts, 12);
        assert_eq!(
            policy.initial_delay_ms,
            RetryPolicy::default().initial_delay_ms
        );
        jail.set_env(
            "HOOKWIRE_DEFAULT_RETRY",
            "{max_attempts=6,initial_delay_ms=5000}",
        );
        let c = Config::load(Some(Path::new("hookwire.toml"))).expect("loads");
        assert_eq!(c.engine_options().default_retry.max_attempts, 6);
        assert_eq!(c.engine_options().default_retry.initial_delay_ms, 5000);
        jail.set_env("HOOKWIRE_DEFAULT_RETRY", "{max_attempts=0}");
        let err = Config::load(Some(Path::new("hookwire.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("default_retry.max_attempts"), "{err}");
        Ok(())
    });
}

#[test]
fn the_otel_endpoint_is_a_key_and_a_bad_one_is_named() {
    Jail::expect_with(|jail| {
        jail.set_env("HOOKWIRE_OTEL_ENDPOINT", "http://collector:4318");
        let c = Config::load(None).expect("loads");
        assert_eq!(c.otel_endpoint.as_deref(), Some("http://collector:4318"));
        assert!(crate::telemetry::exports_traces(&c));
        jail.set_env("HOOKWIRE_OTEL_ENDPOINT", "collector:4318");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(
            err.contains("otel_endpoint") && err.contains("http://"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn the_egress_proxy_is_a_key_and_a_bad_one_is_named() {
    Jail::expect_with(|jail| {
        jail.set_env("HOOKWIRE_EGRESS_PROXY", "http://proxy.internal:3128");
        let c = Config::load(None).expect("loads");
        let proxy = c.engine_options().egress_proxy.expect("a proxy");
        assert_eq!(proxy.url(), "http://proxy.internal:3128");
        for bad in [
            "https://proxy:3128",
            "http://proxy",
            "http://u:p@proxy:3128",
        ] {
            jail.set_env("HOOKWIRE_EGRESS_PROXY", bad);
            let err = Config::load(None).unwrap_err().to_string();
            assert!(
                err.contains("egress_proxy") && err.contains("http://host:port"),
                "{bad}: {err}"
            );
        }
        Ok(())
    });
}

#[test]
fn circuit_settings_are_keys_and_values_out_of_range_are_named() {
    Jail::expect_with(|jail| {
        jail.set_env("HOOKWIRE_CIRCUIT_FAILURE_THRESHOLD", "5");
        jail.set_env("HOOKWIRE_CIRCUIT_OPEN_SECONDS", "30");
        let c = Config::load(None).expect("loads");
        let circuit = c.engine_options().circuit;
        assert_eq!((circuit.failure_threshold, circuit.open_seconds), (5, 30));
        for (key, bad) in [
            ("CIRCUIT_FAILURE_THRESHOLD", "0"),
            ("CIRCUIT_FAILURE_THRESHOLD", "1001"),
            ("CIRCUIT_OPEN_SECONDS", "0"),
            ("CIRCUIT_OPEN_SECONDS", "86400"),
        ] {
            jail.set_env(format!("HOOKWIRE_{key}"), bad);
            let err = Config::load(None).unwrap_err().to_string();
            assert!(
                err.contains(&key.to_lowercase()) && err.contains("between 1 and"),
                "{key}={bad}: {err}"
            );
            jail.set_env(format!("HOOKWIRE_{key}"), "10");
        }
        Ok(())
    });
}

#[test]
fn receiver_ca_file_is_read_and_a_bad_one_is_named() {
    Jail::expect_with(|jail| {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .and_then(|p| p.self_signed(&rcgen::KeyPair::generate()?))
            .expect("a certificate");
        jail.create_file("ca.pem", &ca.pem())?;
        jail.create_file("junk.pem", "not a certificate")?;
        jail.set_env("HOOKWIRE_RECEIVER_CA_FILE", "ca.pem");
        let c = Config::load(None).expect("loads");
        assert!(c.engine_options().receiver_roots.is_some());
        for bad in ["junk.pem", "missing.pem"] {
            jail.set_env("HOOKWIRE_RECEIVER_CA_FILE", bad);
            let err = Config::load(None).unwrap_err().to_string();
            assert!(
                err.contains("receiver_ca_file") && err.contains(bad),
                "{bad}: {err}"
            );
        }
        Ok(())
    });
}

#[test]
fn public_url_and_frame_ancestors_are_keys_and_bad_ones_are_named() {
    Jail::expect_with(|jail| {
        let c = Config::load(None).expect("loads");
        assert_eq!(c.public_base_url(), "http://127.0.0.1:8080");
        assert!(c.portal_frame_ancestors.is_empty());
        jail.set_env("HOOKWIRE_PUBLIC_URL", "https://hooks.example.com/");
        jail.set_env(
            "HOOKWIRE_PORTAL_FRAME_ANCESTORS",
            "[https://app.example.com, http://localhost:3000]",
        );
        let c = Config::load(None).expect("loads");
        assert_eq!(c.public_base_url(), "https://hooks.example.com");
        assert_eq!(
            c.portal_frame_ancestors,
            ["https://app.example.com", "http://localhost:3000"]
        );
        jail.set_env("HOOKWIRE_PUBLIC_URL", "hooks.example.com");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(err.contains("public_url"), "{err}");
        jail.set_env("HOOKWIRE_PUBLIC_URL", "https://hooks.example.com");
        jail.set_env(
            "HOOKWIRE_PORTAL_FRAME_ANCESTORS",
            "[https://app.example.com/path]",
        );
        let err = Config::load(None).unwrap_err().to_string();
        assert!(
            err.contains("portal_frame_ancestors") && err.contains("origin"),
            "{err}"
        );
        Ok(())
    });
}
