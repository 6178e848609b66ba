// SPDX-License-Identifier: Apache-2.0
//! End-to-end tests of the secret detectors through the default scanner:
//! true positives in realistic text with exact spans, hard negatives, the
//! entropy gate and config switches. Every key here is made up.

use super::rules::{CONTEXT_RULES, PREFIX_RULES};
use super::types;
use crate::config::DetectorsConfig;
use crate::detect::Scanner;
use crate::finding::Category;
use once_cell::sync::Lazy;
use proptest::prelude::*;

static DEFAULT: Lazy<Scanner> = Lazy::new(|| Scanner::new(&DetectorsConfig::default()).unwrap());

/// `(type, matched text)` of every secret finding, in order.
fn found_with(scanner: &Scanner, text: &str) -> Vec<(String, String)> {
    scanner
        .scan(text)
        .into_iter()
        .filter(|f| f.category == Category::Secret)
        .map(|f| {
            (
                f.kind.to_string(),
                text[f.byte_start..f.byte_end].to_string(),
            )
        })
        .collect()
}

fn found(text: &str) -> Vec<(String, String)> {
    found_with(&DEFAULT, text)
}

fn expect(text: &str, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(found(text), want, "in text:\n{text}");
}

fn example(id: &str) -> &'static str {
    types()
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.example)
        .unwrap()
}

#[test]
fn rule_table_is_consistent() {
    let all = types();
    let mut ids: Vec<&str> = all.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "duplicate ids");
    assert!(all.iter().all(|t| t.category == Category::Secret));
    assert!(
        PREFIX_RULES.len() + CONTEXT_RULES.len() >= 60,
        "only {} provider rules",
        PREFIX_RULES.len() + CONTEXT_RULES.len()
    );
    for rule in PREFIX_RULES {
        assert!(
            rule.literals.iter().any(|l| rule.example.contains(l)),
            "{}: example lacks its literal",
            rule.id
        );
        if rule.lookbehind == 0 {
            let pattern_start = rule.pattern.trim_start_matches(['(', '?', ':']);
            assert!(
                rule.literals.iter().all(|l| !l.is_empty()) && !pattern_start.is_empty(),
                "{}",
                rule.id
            );
        } else {
            assert!(rule.max_len > 0, "{}: window rule needs max_len", rule.id);
            assert!(!rule.pattern.contains("(?P<v>"), "{}", rule.id);
        }
    }
    for rule in CONTEXT_RULES {
        assert!(
            rule.keywords.iter().all(|k| k.to_lowercase() == *k),
            "{}: keywords must be lower-case",
            rule.id
        );
    }
}

/// Each provider value, embedded in a .env file, a chat message, a JSON
/// request, a shell command and a stack trace, is found alone, as its type,
/// with its exact span.
#[test]
fn every_provider_value_is_found_in_realistic_text() {
    let wrappers = [
        "# deploy settings\nSERVICE_URL=https://api.test.invalid\nSERVICE_KEY={}\nDEBUG=false\n",
        "Hi! My script fails with 401 when I use {} \u{2014} what am I doing wrong?",
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"use {} here\"}]}",
        "curl -s -H \"X-Service-Key: {}\" https://api.test.invalid/v1/items",
        "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    client = Client(\"{}\")\nValueError: rejected",
    ];
    for rule in PREFIX_RULES
        .iter()
        .filter(|r| !r.pattern.contains("(?P<v>"))
    {
        for wrapper in wrappers {
            let text = wrapper.replace("{}", rule.example);
            expect(&text, &[(rule.id, rule.example)]);
        }
    }
}

#[test]
fn keyed_and_context_values_report_the_value_only() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "[default]\naws_access_key_id = AKIAVQJXXVBOTHD2WTFL\naws_secret_access_key = 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\nregion = eu-west-1\n",
            &[
                ("aws_access_key_id", "AKIAVQJXXVBOTHD2WTFL"),
                (
                    "aws_secret_access_key",
                    "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",
                ),
            ],
        ),
        (
            "User name,Password,Access key ID,Secret access key,Console login link\nci-bot,,AKIAAVBPPXX3CJEQQA5Q,n9nIFP28UWcdYDESOKf5nsaLLSnDv40j599Dtczw,https://123456789012.signin.aws.amazon.com/console\n",
            &[
                ("aws_access_key_id", "AKIAAVBPPXX3CJEQQA5Q"),
                (
                    "aws_secret_access_key",
                    "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",
                ),
            ],
        ),
        (
            "{\"Credentials\": {\"AccessKeyId\": \"ASIAVEYX2GSAXMKNUJ2E\", \"SecretAccessKey\": \"no2jKF08mmf1ULmmcW3xvY27DfANuRose62CHN4B\", \"SessionToken\": \"IQoJb3JpZ2luX2Vj9jG1kZA5kXXgwFVMAqTkNp/vsgvbRysUiB9ozIfz3hlkV797tpnBPJAVA1BmzWimLVDP5GJtRd8oSJ/lNz5r+J/8u/M7AsZ7nrsoTV75Y4sxVe9RWlBaTF6E9CPcgYBy9Lmr4PaWbP3gvY1pIXoQOrgRb5vPG5c6qSYhzYTFQy6k1qJAH4D0\", \"Expiration\": \"2031-01-01T00:00:00Z\"}}",
            &[
                ("aws_access_key_id", "ASIAVEYX2GSAXMKNUJ2E"),
                (
                    "aws_secret_access_key",
                    "no2jKF08mmf1ULmmcW3xvY27DfANuRose62CHN4B",
                ),
                (
                    "aws_session_token",
                    "IQoJb3JpZ2luX2Vj9jG1kZA5kXXgwFVMAqTkNp/vsgvbRysUiB9ozIfz3hlkV797tpnBPJAVA1BmzWimLVDP5GJtRd8oSJ/lNz5r+J/8u/M7AsZ7nrsoTV75Y4sxVe9RWlBaTF6E9CPcgYBy9Lmr4PaWbP3gvY1pIXoQOrgRb5vPG5c6qSYhzYTFQy6k1qJAH4D0",
                ),
            ],
        ),
        (
            "from twilio.rest import Client\nclient = Client(\"SK0d1a0dc00f0e71a714a16e81c1aad236\", os.environ[\"TWILIO_SECRET\"])\n",
            &[("twilio_api_key", "SK0d1a0dc00f0e71a714a16e81c1aad236")],
        ),
        (
            "docker run -d -e DD_API_KEY=d31def0b9d2993134b65ab3adf32b1cc -e DD_SITE=datadoghq.eu datadog/agent:7",
            &[("datadog_api_key", "d31def0b9d2993134b65ab3adf32b1cc")],
        ),
        (
            "export DD_APP_KEY=8fa650bdf6593d1b61b4b171b2f3a9f889eeaf77\n",
            &[(
                "datadog_app_key",
                "8fa650bdf6593d1b61b4b171b2f3a9f889eeaf77",
            )],
        ),
        (
            "curl -H \"Authorization: SSWS 0075CnrQSkZ5B70co8w7rqhY2yP_PTZSjQlojQU3Gx\" https://dev-4821.okta.test/api/v1/users",
            &[(
                "okta_api_token",
                "0075CnrQSkZ5B70co8w7rqhY2yP_PTZSjQlojQU3Gx",
            )],
        ),
        (
            "jobs:\n  deploy:\n    env:\n      CLOUDFLARE_API_TOKEN: 5OZHonVA1LzP814hTfBTFEEhV0Fg2Xpvd8aFotOV\n",
            &[(
                "cloudflare_api_token",
                "5OZHonVA1LzP814hTfBTFEEhV0Fg2Xpvd8aFotOV",
            )],
        ),
        (
            "my discord bot won't log in, the token is MygKysRiIbsED1s3WLJ46fUQ3S.5PNjH8.kGIoApQ-n9rTLNNUDsKPMkOG0qWP-VAqCt7XLp pls help",
            &[(
                "discord_bot_token",
                "MygKysRiIbsED1s3WLJ46fUQ3S.5PNjH8.kGIoApQ-n9rTLNNUDsKPMkOG0qWP-VAqCt7XLp",
            )],
        ),
        (
            "ASANA_PAT=2/6855227903214081/9303625564117285:241d65099eec01407ec6a1b044da05ca",
            &[(
                "asana_token",
                "2/6855227903214081/9303625564117285:241d65099eec01407ec6a1b044da05ca",
            )],
        ),
        (
            "$ wandb login 4ed81004c1dec8ee162646ffa9204c1c9eeb488c\nwandb: Appending key to your netrc file",
            &[("wandb_api_key", "4ed81004c1dec8ee162646ffa9204c1c9eeb488c")],
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=shroudtest;AccountKey=c2pqlud/w1Nw4KgEj/KY88bv8/LUTElkwmfMKKbtdIJYSFsA5jHL7lIecb7LAVFwxtktIvq47QSXg72vNy6Wg2==;EndpointSuffix=core.windows.net",
            &[(
                "azure_storage_account_key",
                "c2pqlud/w1Nw4KgEj/KY88bv8/LUTElkwmfMKKbtdIJYSFsA5jHL7lIecb7LAVFwxtktIvq47QSXg72vNy6Wg2==",
            )],
        ),
        (
            "https://shroudtest.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=o&sp=r&se=2031-01-01T00:00:00Z&spr=https&sig=bYLC/y3OloR0gLSp5s+kxV5zZJHE3P1G1AkFUX6Fx1B%3D",
            &[(
                "azure_sas_token",
                "bYLC/y3OloR0gLSp5s+kxV5zZJHE3P1G1AkFUX6Fx1B%3D",
            )],
        ),
    ];
    for (text, want) in cases {
        expect(text, want);
    }
}

#[test]
fn gcp_service_account_json_reports_key_id_and_private_key() {
    let text = r#"{
  "type": "service_account",
  "project_id": "demo-project-4821",
  "private_key_id": "0e5d07844d95b18c3a30b760203afe59d496ed63",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCK7SRXIRFU19aC/KkD2lQ1d595wxJJoT8\nERZke4rnO88YlvVLWePGNr74klo10Yz2cHvihnAqZLmkyDilJczo4UehRiXDnB9L\n-----END PRIVATE KEY-----\n",
  "client_email": "svc@demo-project-4821.iam.gserviceaccount.test"
}"#;
    expect(
        text,
        &[
            (
                "gcp_service_account_key",
                "0e5d07844d95b18c3a30b760203afe59d496ed63",
            ),
            (
                "private_key",
                r"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCK7SRXIRFU19aC/KkD2lQ1d595wxJJoT8\nERZke4rnO88YlvVLWePGNr74klo10Yz2cHvihnAqZLmkyDilJczo4UehRiXDnB9L\n-----END PRIVATE KEY-----",
            ),
        ],
    );
}

const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiI0MiIsImV4cCI6MTkwMDAwMDAwMH0.OxKokkJoWttOZQVcNakJSMVNWk24Pd8EG5nWfd2d0Wqs82ytYR_N-DRYg4CbirLnMBH_-3uhDGbdjPPKffezCn";

#[test]
fn jwts_need_an_alg_header_and_keep_their_exact_span() {
    expect(
        &format!("GET /api/me HTTP/1.1\nHost: api.internal.test\nAuthorization: Bearer {JWT}\n"),
        &[("jwt", JWT)],
    );
    expect(&format!("Use this session: {JWT}."), &[("jwt", JWT)]);
    expect(&format!("{{\"id_token\":\"{JWT}\"}}"), &[("jwt", JWT)]);
    // `{"foo":"bar"}` has no `alg`: not a JWT (nor a generic secret here).
    expect(
        "cookie eyJmb28iOiJiYXIifQ.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
        &[],
    );
    // Glued inside a longer token.
    expect(&format!("x_{JWT}"), &[]);
}

const RSA_BODY: &str = "MIIEpAIBAAKCAQEALp00u87JUjubeOaxhMgrz2xSts5mIVPf9K9JZ89IlwEAJZvK\nnxlaSFMHvWLVA/BYcseSwagu0G47KcXHg4Rs2a5E7SaUpfjIn7uzPJXv2kkRGNFO\nJBT5g7+EsEIojCt/hhQODeVuf0F+uZPwCp1MlmWt3Zwla825Gfkeou0eKM5H+kTA";

#[test]
fn pem_private_keys_cover_the_whole_block() {
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{RSA_BODY}\n-----END RSA PRIVATE KEY-----");
    expect(
        &format!("here's the key from the server:\n{pem}\nwhy does ssh reject it?"),
        &[("private_key", &pem)],
    );
    let encrypted = format!(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,1F062407BD8ECEF4E670D262B1E23CC4\n\n{RSA_BODY}\n-----END RSA PRIVATE KEY-----"
    );
    expect(&encrypted, &[("private_key", &encrypted)]);
    for label in [
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ] {
        let pem = format!("-----BEGIN {label}-----\n{RSA_BODY}\n-----END {label}-----");
        expect(&format!("key:\r\n{pem}\r\n"), &[("private_key", &pem)]);
    }
    let pgp = example("pgp_private_key");
    expect(
        &format!("gpg --import <<EOF\n{pgp}\nEOF"),
        &[("pgp_private_key", pgp)],
    );
}

#[test]
fn truncated_pem_keys_run_to_the_last_body_line() {
    let head = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn\nNhAAAAAwEAAQAAAYEAoyO57Ojp6HQ6iTlY8K/qy0VptOtRY/l31pnGQwBCH2quXXJy+OxX";
    expect(
        &format!("{head}\n\nCan you tell me what's wrong with it?"),
        &[("private_key", head)],
    );
    expect(&format!("pasted: {head}\n"), &[("private_key", head)]);
    let escaped = r"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIS+22NrE40jz/Byz+W65NO5vb180acfA0QN6DqJ/D\nWhd4//uJGJFxUDZtqxgQI+X8pIKl2T/YIrBImDyn2FfQ6Oca";
    expect(
        &format!("{{\"k\": \"{escaped}\", \"note\": \"cut off\"}}"),
        &[("private_key", escaped)],
    );
}

#[test]
fn credentials_in_urls_report_the_password_only() {
    expect(
        "git remote add origin https://deploy:Tq8vN3xLm2Pz@git.internal.test/team/app.git",
        &[("url_credentials", "Tq8vN3xLm2Pz")],
    );
    expect(
        "DATABASE_URL=postgres://app:V7p!Rz2qLx9K@db.internal.test:5432/orders?sslmode=require",
        &[("database_uri", "V7p!Rz2qLx9K")],
    );
    expect(
        "mongo \"mongodb+srv://reporting:Lq2x9VzR4m@cluster0.abcde.mongodb.test/analytics\"",
        &[("database_uri", "Lq2x9VzR4m")],
    );
    expect(
        "CELERY_BROKER=redis://:s9Kd2LqV7x@cache.internal.test:6379/0",
        &[("database_uri", "s9Kd2LqV7x")],
    );
    expect(
        "spring.datasource.url=jdbc:mysql://svc:Hq7xLm2Vx9Kp@db.internal.test:3306/app",
        &[("database_uri", "Hq7xLm2Vx9Kp")],
    );
    expect(
        "AMQP_URL=amqps://worker:Zx8!pQ3vLm@mq.internal.test/vhost",
        &[("database_uri", "Zx8!pQ3vLm")],
    );
    // A JDBC prefix makes any scheme a database URI, in any case.
    expect(
        "url=JDBC:acmedb://svc:Pw9xLq2Vz7Km@db.internal.test/app",
        &[("database_uri", "Pw9xLq2Vz7Km")],
    );
    expect(
        "url=acmedb://svc:Pw9xLq2Vz7Km@db.internal.test/app",
        &[("url_credentials", "Pw9xLq2Vz7Km")],
    );
}

#[test]
fn generic_assignments_report_the_value_only() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "DB_HOST=db.internal.test\nDB_PASSWORD=Xk9#pQ2zR7!mW4vL\nWEBHOOK_URL=https://hooks.test.invalid/x\nSESSION_SECRET=7fK2pLx9QzR4mW8v\n",
            &[
                ("password", "Xk9#pQ2zR7!mW4vL"),
                ("generic_secret", "7fK2pLx9QzR4mW8v"),
            ],
        ),
        (
            r#"{"database": {"user": "app", "password": "V7p!Rz2qLx9K"}, "api_key": "9fQ2xL7pZ3vR8mK1wT6y"}"#,
            &[
                ("password", "V7p!Rz2qLx9K"),
                ("generic_secret", "9fQ2xL7pZ3vR8mK1wT6y"),
            ],
        ),
        (
            "auth:\n  client_secret: 'Qm8#vR2kLp9xZt4w'\n  token_url: https://auth.internal.test/token\n",
            &[("generic_secret", "Qm8#vR2kLp9xZt4w")],
        ),
        (
            "<datasource><password>Hq7#Lm2$Vx9!</password></datasource>",
            &[("password", "Hq7#Lm2$Vx9!")],
        ),
        (
            "mysql -u admin --password=Hq7xLm2Vx9Kp orders",
            &[("password", "Hq7xLm2Vx9Kp")],
        ),
        (
            "$config = ['host' => 'db', 'password' => 'N4v!qT8zLp2R'];",
            &[("password", "N4v!qT8zLp2R")],
        ),
        (
            r#"{"body": "{\"password\": \"N4v!qT8zLp2R\"}"}"#,
            &[("password", "N4v!qT8zLp2R")],
        ),
        (
            "$env:GITLAB_ACCESS_TOKEN = \"Wm3#xT9qLv2Z\"",
            &[("generic_secret", "Wm3#xT9qLv2Z")],
        ),
        (
            "The password: Xk9#pQ2zR7!mW4vL.",
            &[("password", "Xk9#pQ2zR7!mW4vL")],
        ),
        (
            "curl -H \"Authorization: Bearer q8Zr3LmX9vT2pK7wN4sBf1Hd\" https://api.internal.test/v2/jobs",
            &[("bearer_token", "q8Zr3LmX9vT2pK7wN4sBf1Hd")],
        ),
        (
            "curl -H 'Authorization: Basic Y2ktYm90OlRxOHZOM3hMbTJQeg==' https://ci.internal.test/api",
            &[("basic_auth", "Y2ktYm90OlRxOHZOM3hMbTJQeg==")],
        ),
    ];
    for (text, want) in cases {
        expect(text, want);
    }
}

#[test]
fn specific_rules_beat_generic_ones() {
    let ghp = example("github_token");
    expect(&format!("token: {ghp}"), &[("github_token", ghp)]);
    expect(
        &format!("Authorization: Bearer {ghp}"),
        &[("github_token", ghp)],
    );
    let sk = example("openai_api_key");
    expect(
        &format!("OPENAI_API_KEY=\"{sk}\""),
        &[("openai_api_key", sk)],
    );
}

#[test]
fn hard_negatives_are_not_secrets() {
    let texts = [
        "request 550e8400-e29b-41d4-a716-446655440000 failed",
        "fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "md5 d41d8cd98f00b204e9800998ecf8427e  archive.tar.gz",
        "data: SGVsbG8gd29ybGQhIFRoaXMgaXMgYSBsb25nIGJhc2U2NCBibG9iIHdpdGhvdXQgY29udGV4dA==",
        "blob 4dGk3NWx6Y2Q5ZjJhN2I4YzFlM2Q0ZjVhNmI3YzhkOWUw appears in the log",
        "AKIAIOSFODNN7EXAMPLE",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
        "let token = get_token();",
        "password = input(\"Password: \")",
        "api_key=os.environ[\"API_KEY\"]",
        "const password = process.env.DB_PASSWORD;",
        "token = self.token",
        "if token == expected_token:",
        "def get_password(self):",
        "api_key: str = Field(..., description=\"API key\")",
        "password: Optional<String>",
        "password = user_input",
        "color: #ff5733; background: #1e1e1e;",
        "see https://docs.rs/regex/latest/regex/ and http://localhost:8080/health",
        "postgres://localhost/db",
        "postgres://user@localhost:5432/db",
        "postgres://user:password@localhost/db",
        "postgres://postgres:postgres@localhost/db",
        "mysql://root:${DB_PASSWORD}@db:3306/app",
        "redis://:@localhost:6379",
        "amqp://guest:<password>@localhost",
        "password=changeme",
        "password: ********",
        "password: ***",
        "token: <your-token>",
        "sk-xxxxxxxxxxxxxxxx",
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "api_key: YOUR_API_KEY",
        "TOKEN=${TOKEN}",
        "token: {{ .Values.token }}",
        "secret: %APP_SECRET%",
        "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "api_key = \"your-api-key-here\"",
        "\"password\": \"Enter your password\"",
        "Authorization: Bearer <token>",
        "Authorization: Bearer ${ACCESS_TOKEN}",
        "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
        "Authorization: Basic dXNlcjpwYXNz",
        "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "the bearer of bad news",
        "a basic example of the API",
        "max_tokens: 4096",
        "tokenizer: bert-base-uncased",
        "token_type: Bearer",
        "password_min_length: 12",
        "secret_name: prod/db/credentials",
        "api_key_header: X-Api-Key",
        "passenger: Mx9qLv2Zt7",
        "{\"token\": \"authentication\", \"logprob\": -0.12}",
        "{\"token\": \"\u{120}unbelievable\", \"logprob\": -3.4}",
        "Authorization: Bearer correcthorsebatterystaple",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----",
        "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ghp_abababababababababababababababababab",
        "ghp_123456789012345678901234567890123456",
        "xoxb-123456789012-1234567890123-EXAMPLEexampleEXAMPLEexam",
        "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    ];
    for text in texts {
        assert_eq!(found(text), vec![], "false positive in {text:?}");
    }
}

#[test]
fn keys_glued_into_longer_tokens_are_ignored() {
    let ghp = example("github_token");
    let akia = example("aws_access_key_id");
    for text in [
        format!("x{ghp}"),
        format!("{ghp}Z"),
        format!("{ghp}_suffix"),
        format!("prefix_{akia}"),
        format!("{akia}Q"),
        format!("9{}", example("telegram_bot_token")),
    ] {
        assert_eq!(found(&text), vec![], "glued key found in {text:?}");
    }
}

#[test]
fn entropy_gate_follows_config() {
    let strong = "password=Xk9#pQ2zR7!mW4vL";
    let weak = "password=aaaabbbbcccc";
    assert_eq!(found(strong).len(), 1);
    assert_eq!(found(weak), vec![]);

    let strict = DetectorsConfig {
        min_secret_entropy: 4.5,
        ..DetectorsConfig::default()
    };
    let strict = Scanner::new(&strict).unwrap();
    assert_eq!(found_with(&strict, strong), vec![]);
    // Provider rules are not gated by the generic threshold.
    let ghp = example("github_token");
    assert_eq!(found_with(&strict, ghp).len(), 1);

    let lax = DetectorsConfig {
        min_secret_entropy: 0.0,
        ..DetectorsConfig::default()
    };
    let lax = Scanner::new(&lax).unwrap();
    assert_eq!(
        found_with(&lax, weak),
        vec![("password".to_string(), "aaaabbbbcccc".to_string())]
    );
    // Stand-ins stay out whatever the threshold.
    assert_eq!(found_with(&lax, "password=changeme"), vec![]);
    assert_eq!(found_with(&lax, "token: <your-token>"), vec![]);
}

#[test]
fn disabled_types_are_not_reported() {
    let cfg = DetectorsConfig {
        disabled: vec!["github_token".into(), "password".into(), "jwt".into()],
        ..DetectorsConfig::default()
    };
    let built = super::build(&cfg, &mut Default::default()).unwrap();
    assert_eq!(built.len(), 1);
    let scanner = Scanner::new(&cfg).unwrap();
    let ghp = example("github_token");
    assert_eq!(found_with(&scanner, ghp), vec![]);
    assert_eq!(found_with(&scanner, example("password")), vec![]);
    assert_eq!(found_with(&scanner, &format!("id={JWT}")), vec![]);
    let npm = example("npm_token");
    assert_eq!(found_with(&scanner, npm).len(), 1);

    let everything = DetectorsConfig {
        disabled: types().iter().map(|t| t.id.to_string()).collect(),
        ..DetectorsConfig::default()
    };
    assert!(
        super::build(&everything, &mut Default::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn several_secrets_among_non_ascii_text() {
    let ghp = example("github_token");
    let akia = example("aws_access_key_id");
    let text = format!("Привет! Вот ключ {ghp} и ещё {akia} \u{1F642} — не показывай никому");
    let findings = DEFAULT.scan(&text);
    assert_eq!(findings.len(), 2);
    let ghp_at = text.find(ghp).unwrap();
    assert_eq!(findings[0].kind, "github_token");
    assert_eq!(
        (findings[0].byte_start, findings[0].byte_end),
        (ghp_at, ghp_at + ghp.len())
    );
    assert_eq!(findings[0].start, text[..ghp_at].chars().count());
    assert_eq!(findings[1].kind, "aws_access_key_id");
}

const FRAGMENTS: &[&str] = &[
    "sk-",
    "AKIA",
    "ghp_",
    "xox",
    "eyJ",
    "://",
    "@",
    ":",
    "=",
    "\"",
    "'",
    "password",
    "token",
    "Bearer ",
    "Basic ",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END",
    "\\n",
    "\n",
    "Q~",
    ":AA",
    "-us",
    ".atlasv1.",
    "sig=",
    "sv=20",
    "aws_secret_access_key",
    "twilio",
    "é",
    "🙂",
    "Ж",
    " ",
    "aB3",
    "0123",
    "/",
    "+",
    "<",
    ">",
];

proptest! {
    #[test]
    fn scanning_never_panics_and_spans_are_well_formed(
        parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
                "[A-Za-z0-9+/=_.-]{0,48}",
                any::<String>(),
            ],
            0..24,
        )
    ) {
        let text = parts.concat();
        for f in DEFAULT.scan(&text) {
            prop_assert!(f.byte_start < f.byte_end && f.byte_end <= text.len());
            prop_assert!(text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end));
        }
    }
}

#[test]
fn pem_blocks_stop_at_the_next_begin_and_survive_one_line_pastes() {
    let cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA6hTuvqCdmPG0tmKXPDZpAemm1za7v0fHhvjwdbT2HwDqzuMt";
    let whole = format!("-----BEGIN EC PRIVATE KEY-----\n{RSA_BODY}\n-----END EC PRIVATE KEY-----");
    expect(
        &format!("{cut}\n{whole}\n"),
        &[("private_key", cut), ("private_key", &whole)],
    );
    let one_line = "-----BEGIN PRIVATE KEY----- MIIEvgIBADANBgkqhkiG9w0BAQEF bqHOXHlpaBqCefuv2FSJghB6hRLeos47wGJkcU/0XXkHG5qJwv1MkAuYVbpS0Jsy -----END PRIVATE KEY-----";
    expect(
        &format!("key was: {one_line} (from the vault)"),
        &[("private_key", one_line)],
    );
    // Many BEGIN lines without body or END: nothing, and no quadratic work.
    let many = "-----BEGIN PRIVATE KEY-----\n".repeat(2000);
    expect(&many, &[]);
}

#[test]
fn context_values_must_be_near_their_keyword() {
    let sk = "SK821df997d529975dcb6de0703b4ab7ed";
    expect(&format!("twilio {sk}"), &[("twilio_api_key", sk)]);
    let far = format!("twilio{}{sk}", " lorem".repeat(60));
    expect(&far, &[]);
    // The keyword alone does not make any hex value a secret of its kind.
    expect(
        "datadog build 3f786850e387550fdab836ed7e6dc881de23001b",
        &[],
    );
}

/// The rules' regexes are compiled at their first hit (`LazyRegex`), so
/// config loading no longer proves they compile: this does, for every rule.
#[test]
fn every_rule_regex_compiles_and_its_value_group_is_known() {
    let mut registry = crate::detect::prefilter::LiteralRegistry::default();
    let detector = super::detector(&DetectorsConfig::default(), &mut registry)
        .unwrap()
        .unwrap();
    assert_eq!(detector.prefixes.len(), PREFIX_RULES.len());
    assert_eq!(detector.contexts.len(), CONTEXT_RULES.len());
    for prefix in &detector.prefixes {
        prefix.regex.check().unwrap();
        let compiled = prefix.regex.get().unwrap();
        let named_v = compiled.capture_names().any(|n| n == Some("v"));
        assert_eq!(prefix.value_group, named_v, "{}", prefix.rule.id);
    }
    for context in &detector.contexts {
        context.regex.check().unwrap();
    }
}
