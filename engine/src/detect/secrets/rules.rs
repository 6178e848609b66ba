// SPDX-License-Identifier: Apache-2.0
//! The table of provider secret formats: one entry per documented token
//! shape (prefix, charset, length), written from the providers' public docs.
//! Every example value is made up.

use crate::detect::priority;

/// A secret found from a fixed literal in or at the start of its value.
#[derive(Debug, Clone, Copy)]
pub(super) struct PrefixRule {
    /// Stable snake_case type id.
    pub id: &'static str,
    /// Literals that start the rule (matched case-insensitively by the
    /// prefilter; the regex then checks the exact case).
    pub literals: &'static [&'static str],
    /// The value's shape. With `lookbehind == 0` it starts with one of the
    /// literals and runs anchored at the hit. A group named `v`, when present,
    /// is the reported span (the rest is required context).
    pub pattern: &'static str,
    /// How many bytes the value may start before the literal (0: it starts
    /// with the literal).
    pub lookbehind: usize,
    /// Longest possible match, used to bound the search window when
    /// `lookbehind > 0`.
    pub max_len: usize,
    pub score: f64,
    pub priority: u8,
    /// How a match is confirmed (catalog column).
    pub validator: &'static str,
    /// A made-up value of the right shape.
    pub example: &'static str,
    /// Characters besides `[A-Za-z0-9_]` that may not directly precede the value.
    pub edge_chars: &'static str,
    /// Reject values with a run of 6+ equal or consecutive characters
    /// (off for formats whose random part legitimately has runs).
    pub check_runs: bool,
    /// When non-empty, one of these must occur within [`NEAR_WINDOW`] bytes.
    pub near: &'static [&'static str],
}

/// Bytes around a match searched for a rule's `near` words.
pub(super) const NEAR_WINDOW: usize = 400;

const fn prefix(
    id: &'static str,
    literals: &'static [&'static str],
    pattern: &'static str,
    example: &'static str,
) -> PrefixRule {
    PrefixRule {
        id,
        literals,
        pattern,
        lookbehind: 0,
        max_len: 0,
        score: 0.99,
        priority: priority::PROVIDER_SECRET,
        validator: "prefix+length",
        example,
        edge_chars: "",
        check_runs: true,
        near: &[],
    }
}

impl PrefixRule {
    /// The value may start up to `lookbehind` bytes before the literal and is
    /// at most `max_len` bytes long.
    const fn behind(self, lookbehind: usize, max_len: usize) -> Self {
        PrefixRule {
            lookbehind,
            max_len,
            validator: "shape",
            ..self
        }
    }
    const fn score(self, score: f64) -> Self {
        PrefixRule { score, ..self }
    }
    const fn validator(self, validator: &'static str) -> Self {
        PrefixRule { validator, ..self }
    }
    /// A keyed value (`AccountKey=…`): structured-secret priority.
    const fn keyed(self) -> Self {
        PrefixRule {
            priority: priority::STRUCTURED_SECRET,
            validator: "context",
            score: 0.95,
            ..self
        }
    }
    const fn edge(self, edge_chars: &'static str) -> Self {
        PrefixRule { edge_chars, ..self }
    }
    const fn allow_runs(self) -> Self {
        PrefixRule {
            check_runs: false,
            ..self
        }
    }
    const fn near(self, near: &'static [&'static str]) -> Self {
        PrefixRule { near, ..self }
    }
}

/// A secret whose shape alone is too weak: it counts only near a keyword.
#[derive(Debug, Clone, Copy)]
pub(super) struct ContextRule {
    pub id: &'static str,
    /// Lower-case keywords; each is a prefilter literal.
    pub keywords: &'static [&'static str],
    /// The value's shape (unanchored).
    pub pattern: &'static str,
    /// Bytes before the keyword's start where the value may start.
    pub before: usize,
    /// Bytes after the keyword's end where the value may start.
    pub after: usize,
    /// Longest value.
    pub value_max: usize,
    pub score: f64,
    pub priority: u8,
    pub validator: &'static str,
    /// A made-up value WITH its keyword, as the scanner needs it.
    pub example: &'static str,
    /// Minimum Shannon entropy of the value.
    pub min_entropy: f64,
    /// Characters besides `[A-Za-z0-9_]` that may not touch the value.
    pub edge_chars: &'static str,
    /// Extra shape check on the value.
    pub shape: fn(&str) -> bool,
}

const fn context(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    example: &'static str,
) -> ContextRule {
    ContextRule {
        id,
        keywords,
        pattern,
        before: 120,
        after: 120,
        value_max: 64,
        score: 0.8,
        priority: priority::STRUCTURED_SECRET,
        validator: "context",
        example,
        min_entropy: 3.0,
        edge_chars: "",
        shape: any_shape,
    }
}

impl ContextRule {
    const fn window(self, before: usize, after: usize, value_max: usize) -> Self {
        ContextRule {
            before,
            after,
            value_max,
            ..self
        }
    }
    const fn entropy(self, min_entropy: f64) -> Self {
        ContextRule {
            min_entropy,
            validator: "context+entropy",
            ..self
        }
    }
    const fn score(self, score: f64) -> Self {
        ContextRule { score, ..self }
    }
    const fn edge(self, edge_chars: &'static str) -> Self {
        ContextRule { edge_chars, ..self }
    }
    const fn shape(self, shape: fn(&str) -> bool) -> Self {
        ContextRule { shape, ..self }
    }
}

fn any_shape(_: &str) -> bool {
    true
}

/// Upper- and lower-case letters and a digit: random, not a hex digest.
fn mixed_case(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.bytes().any(|b| b.is_ascii_digit())
}

/// Cloudflare: a 37-hex global key or a mixed-case 40-char API token.
fn cloudflare_shape(value: &str) -> bool {
    value.len() == 37 || mixed_case(value)
}

/// Provider formats found from a fixed literal.
pub(super) static PREFIX_RULES: &[PrefixRule] = &[
    // ---- AI providers ----
    prefix(
        "openai_api_key",
        &["sk-"],
        r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,250}|[A-Za-z0-9]{48})",
        "sk-proj-m0xVQzJXtw3XVBOsrT5mH3DaWvTrmFLHBMUAPTT0aZN0dnruqXa71P2tD8vkQXRYT3BlbkFJO1NiJ7brD03q2YBV097shZXGqa6tcVy4DHkmLrDzq9qStxuUsNh6AV1iB8PP1XXx",
    )
    .validator("prefix"),
    prefix(
        "anthropic_api_key",
        &["sk-ant-api"],
        r"sk-ant-api[0-9]{2}-[A-Za-z0-9_-]{80,120}",
        "sk-ant-api03-yFSJghB6hRLeos47wGJkcU-0XXkHG5qJwv1MkAuYVbpS0Jso2jKF08mmf1ULmmcW3xvY27DfANuRose62CHN4XDEjG1kAAA",
    )
    .validator("prefix"),
    prefix(
        "anthropic_admin_key",
        &["sk-ant-admin"],
        r"sk-ant-admin[0-9]{2}-[A-Za-z0-9_-]{80,120}",
        "sk-ant-admin01-JkXXgwFVMAqTkNp-vsgvbRysUiB9ozIfz3hlkV797tpnBPJAVA1BmzWimLVDP5GJtRd8oSJ-lNz5r_J-8u-M7AsZ7nrs2AA",
    )
    .validator("prefix"),
    prefix(
        "openrouter_api_key",
        &["sk-or-v1-"],
        r"sk-or-v1-[0-9a-f]{64}",
        "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",
    ),
    prefix(
        "deepseek_api_key",
        &["sk-"],
        r"sk-[0-9a-f]{32}",
        "sk-6414ce9da201e0c0d1a0dc00f0e71a71",
    )
    .score(0.9),
    prefix(
        "google_api_key",
        &["AIza"],
        r"AIza[0-9A-Za-z_-]{35}",
        "AIzaVrGZ7iHyEpp2LNY2PG17_Dum2JnkOGORtaX",
    ),
    prefix(
        "google_oauth_client_secret",
        &["GOCSPX-"],
        r"GOCSPX-[A-Za-z0-9_-]{28}",
        "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",
    ),
    prefix(
        "google_oauth_access_token",
        &["ya29."],
        r"ya29\.[A-Za-z0-9_-]{30,2048}",
        "ya29.gFfGuL8Opk_hjn45p-ed75CnrQSkZ5B70co8w7rqhY2yP_PTZSjQlojQU3G9dyPqAXen_CnLJIrKv71KdrUiR2JHtXS_ohkdPNjH-RGIoApQ-n9rTLNNUDsH",
    )
    .validator("prefix"),
    prefix(
        "huggingface_token",
        &["hf_"],
        r"hf_[A-Za-z0-9]{34}",
        "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",
    ),
    prefix(
        "groq_api_key",
        &["gsk_"],
        r"gsk_[A-Za-z0-9]{52}",
        "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",
    ),
    prefix(
        "replicate_api_token",
        &["r8_"],
        r"r8_[A-Za-z0-9]{37}",
        "r8_2kK8XXO3gi0UOv6Vgtfn4G3aFck9EvgvIFLXU",
    ),
    prefix(
        "perplexity_api_key",
        &["pplx-"],
        r"pplx-[A-Za-z0-9]{48}",
        "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",
    ),
    prefix(
        "xai_api_key",
        &["xai-"],
        r"xai-[A-Za-z0-9]{80}",
        "xai-paWvV82bhzo0VK3zDJyycFRPX8ih5VBLJOMSX29wUJCZu9ygp6sXwW4IuIe6lAPKrGrSAitGQlPAkOjC",
    ),
    prefix(
        "cerebras_api_key",
        &["csk-"],
        r"csk-[a-z0-9]{48}",
        "csk-e178k5mh9u046vgsl0my485hdu23ua7g8w0wufmcv0lsauyw",
    ),
    prefix(
        "tavily_api_key",
        &["tvly-"],
        r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}",
        "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",
    ),
    prefix(
        "langsmith_api_key",
        &["lsv2_"],
        r"lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}",
        "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",
    ),
    prefix(
        "pinecone_api_key",
        &["pcsk_"],
        r"pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80}",
        "pcsk_hDEhhW_jWrjVREUenSRGduiVmazcqlZpDAwQ33W5BQYHpZdALFdSNQDvTX8QrUZG1odN5n",
    ),
    prefix(
        "elevenlabs_api_key",
        &["sk_"],
        r"sk_[0-9a-f]{48}",
        "sk_dfeb63cc17fd04d5014995756e61d6b91cda411dfd72f1a3",
    ),
    prefix(
        "firecrawl_api_key",
        &["fc-"],
        r"fc-[0-9a-f]{32}",
        "fc-447c745c48c0b90a16be3388e7f14697",
    )
    .score(0.9),
    // ---- Cloud ----
    prefix(
        "aws_access_key_id",
        &[
            "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA",
        ],
        r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}",
        "AKIA7ANBGLOOUUNZKL5B",
    ),
    prefix(
        "aws_session_token",
        &["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE"],
        r"(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+]{100,2000}={0,2}",
        "IQoJb3JpZ2luX2VjJEk3PXfKHja5UfYEuHWKSu8DsAnRfwV5srCLFfHHQcMZHP59YzK4D6/gLtHW+zQYc85nN7jF30XioDzH+nrWHutV3l+sMO927u2At1YvpmM5NyTFFrCVY0dXO5PcjfZ2b30m8kvm+W8mdAd3Vss1mMN7QoIQH1YUDml66yBGQAd7xbpGuBQR2rBWxoQ43iEDBTwE27wh77HbLYQZ/9pnLDSwHxk64vTghza2pqlud/w1Nw4KgEj/KY88bv8/LUTElkwmfMKKbtdIJYSFsA5jHL7lIecb7LAVFwxtktIvq47L",
    )
    .validator("prefix"),
    prefix(
        "gcp_service_account_key",
        &["\"private_key_id\""],
        r#""private_key_id"\s*:\s*"(?P<v>[0-9a-f]{40})""#,
        r#""private_key_id": "8edb3ce587e4620fcd39a4d824aebf9c5ec6211d""#,
    )
    .keyed(),
    prefix(
        "azure_storage_account_key",
        &["AccountKey="],
        r"AccountKey=(?P<v>[A-Za-z0-9+/]{86}==)",
        "AccountKey=J1G1AkFUX6Fx1l3DD4U2DdgQT1nVvEiwMqMCvfZBJCOp95Wl0Rka53ZMG7SRXIRFU19aC/KkD2lQ1d595wxJJl==",
    )
    .keyed(),
    prefix(
        "azure_sas_token",
        &["sig="],
        r"sig=(?P<v>[A-Za-z0-9%+/=]{40,120})",
        "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2031-01-01T00:00:00Z&sig=FV3RZke4rnO88YlvVLWePGNr74klo10Yz2cHvihnAq1%3D",
    )
    .keyed()
    .near(&["sv=20"]),
    prefix(
        "azure_client_secret",
        &["Q~"],
        r"[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
        "43h8Q~T3wSZhxBRwliS57E6OZopUc5K64luPQIRs",
    )
    .behind(4, 40)
    .edge("~.-")
    .score(0.9),
    prefix(
        "alibaba_access_key_id",
        &["LTAI"],
        r"LTAI[A-Za-z0-9]{12,20}",
        "LTAILi9BhTnwAenhXELIz9YF",
    )
    .validator("prefix"),
    prefix(
        "tencent_secret_id",
        &["AKID"],
        r"AKID[A-Za-z0-9]{32}",
        "AKIDnUSzSEpUi5LWWHMIK1qOG1vNSyEJrkG9",
    ),
    prefix(
        "yandex_cloud_api_key",
        &["AQVN"],
        r"AQVN[A-Za-z0-9_-]{35,38}",
        "AQVNBNWk24Pd8EG5nWfd2d0Wqs82ytYR_N-DRYgs",
    ),
    prefix(
        "yandex_oauth_token",
        &["y0_"],
        r"y0_[A-Za-z0-9_-]{50,60}",
        "y0_TirLnMBH_-3uhDGbdjPPKffezCIcqp00u87JUjubeOaxhMgrz2xStsE",
    ),
    prefix(
        "digitalocean_token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"do[opr]_v1_[0-9a-f]{64}",
        "dop_v1_537f2f26ff29c1026be55ac964131b5250f067b74c68bd1ee27518e4bd6e1e46",
    ),
    prefix(
        "heroku_api_key",
        &["HRKU-"],
        r"HRKU-[A-Za-z0-9_-]{40,100}",
        "HRKU-AASpfjIn7uzPJXv2kkRGNFhcZBT5g7_EsEIojCt-hhQODeVuf0F_uZPwCp1n",
    )
    .validator("prefix"),
    prefix(
        "flyio_token",
        &["fo1_"],
        r"fo1_[A-Za-z0-9_-]{43}",
        "fo1_eWt3Zwla825Gfkeou0eKM5H_kT9SBG9BaJTBdv3j7y8",
    ),
    prefix(
        "netlify_token",
        &["nfp_", "nfc_", "nfo_", "nfu_", "nfb_"],
        r"nf[pcoub]_[A-Za-z0-9]{36}",
        "nfp_zIc2n6MPsA7aFMlFwXxDcyFwHZ69wyZIoOZ3",
    ),
    prefix(
        "render_api_key",
        &["rnd_"],
        r"rnd_[A-Za-z0-9]{28,32}",
        "rnd_9iH2cdt31HlgRv3wUdDtwuI2dRJSMkem",
    ),
    prefix(
        "supabase_token",
        &["sbp_", "sb_secret_"],
        r"(?:sbp_[0-9a-f]{40}|sb_secret_[A-Za-z0-9_-]{20,64})",
        "sbp_2facd5ab3b46f9dda914c001dab552cf3c4b2fdd",
    ),
    prefix(
        "planetscale_token",
        &["pscale_"],
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_-]{32,64}",
        "pscale_tkn_j1GVCclar4sRZfvAZ70ZfjLx5dc7GHcX4N4aeasN67O",
    ),
    prefix(
        "neon_api_key",
        &["napi_"],
        r"napi_[a-z0-9]{64}",
        "napi_pa0ig3bve5vsdoqo255xe8decykbmw9vyqie5l4uefs1j56meva8etbzt1cpi3ho",
    ),
    prefix(
        "databricks_token",
        &["dapi"],
        r"dapi[0-9a-f]{32}(?:-[0-9])?",
        "dapi3bdb76b2ca917b4c5d21718cde22967e",
    ),
    prefix(
        "vault_token",
        &["hvs.", "hvb.", "hvr."],
        r"hv[sbr]\.[A-Za-z0-9_-]{24,400}",
        "hvs.rn_KVKDGk7fi0B4IIlL3eZOMR0ODa-V4_FFdnh0QDn7veXmZJ83PCGpiRwzhT7osgQX7kxm1iNWjnrhAfA87xWmT1O",
    )
    .validator("prefix"),
    prefix(
        "terraform_cloud_token",
        &[".atlasv1."],
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        "V86OR7GsVur4hB.atlasv1.7qqwK8hD-kfBFuWM5tqUzXlqz35bQEWVOsfXHFReW0BvctVMIAxCAak9g0wUIW6Rwir",
    )
    .behind(14, 90),
    prefix(
        "pulumi_access_token",
        &["pul-"],
        r"pul-[0-9a-f]{40}",
        "pul-d972a25c246144734cb16d7b75d5ad4ac12a9f64",
    ),
    prefix(
        "doppler_token",
        &["dp."],
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,40}\.)?[A-Za-z0-9]{40,48}",
        "dp.pt.IbPD4DlSn8qJpmkhp38vG69lPvoSxJwcogy9QFIT5qk",
    ),
    prefix(
        "onepassword_service_account_token",
        &["ops_eyJ"],
        r"ops_eyJ[A-Za-z0-9+/=_-]{100,2000}",
        "ops_eyJuH9gkEqTW3LGhur+wutpoSkHOImjIdbmFCCqLRqbXFTysuenKhozR2hsWCX+/OqWzIRF/f4En1ni6ZUKSYPsmp9b2tZb+IHE/41LEyV6En6Ho9xC9GCb0ClDacg9i24jZTKSln/cFewaP72VsRe83HEO7Ne855leaWM4C0HWSKcm354G1Vnqj0TBPIwvl2VAVmdbFcmFuOUPsGlG91Buq5U6advtn3LfUkKOWlPfppWMsvmMeeXyUEMqXhlDxXR6x4Wh7qOy+Lm4EGObY4OZ6+NJRXsqn5onC8/4dPDzdR3mmt9362MWMFAc2SnL8zzH4uL41eVTJ5N9cGKiwNVVVFIc5QVBduXDPzyvLyBb5ixXQUUS9JyxQy/pyKsN+WKNDozsq3gq8iJIfFFE",
    )
    .validator("prefix"),
    prefix(
        "age_secret_key",
        &["AGE-SECRET-KEY-1"],
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "AGE-SECRET-KEY-1H07KFDT2Z4VE006W909PZQRUE50JK76UQ0V268X0WAGDERAJWWZ4CNLR2X",
    ),
    // ---- Code hosting, CI and registries ----
    prefix(
        "github_token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"gh[pousr]_[A-Za-z0-9]{36}",
        "ghp_GxAEGwLkALTicBUdmLOYh269MmCB0L8lbS1P",
    ),
    prefix(
        "github_fine_grained_pat",
        &["github_pat_"],
        r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        "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",
    ),
    prefix(
        "gitlab_token",
        &[
            "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glimt-", "glagent-",
            "glsoat-", "gloas-", "glffct-", "GR1348941",
        ],
        r"(?:gl(?:pat|dt|rt|ptt|cbt|ft|imt|agent|soat|oas|ffct)-|GR1348941)[A-Za-z0-9_-]{20,200}(?:\.[A-Za-z0-9_-]{2,100}){0,3}",
        "glpat-Ltmh2zmMV26r5Z0BBmOT",
    )
    .validator("prefix"),
    prefix(
        "bitbucket_app_password",
        &["ATBB"],
        r"ATBB[A-Za-z0-9_=-]{28,48}",
        "ATBBtWO1qijS1n1n3W6vFC2tnnz0APPSQTLe",
    )
    .validator("prefix"),
    prefix(
        "atlassian_api_token",
        &["ATATT3"],
        r"ATATT3[A-Za-z0-9_=-]{100,300}",
        "ATATT3xFfGF0t69uNfwmgagTfHiKlCWsC4bBB97etyXwLTZ10NLnJqrFxPD2rj2qj2rQcG0f6kM2BZ2v9kw53HPgyG15jsqKozThy94wa6lhhT1e0rkQHIzZMzbZJ5LfzjcidIjjkmP0bjwy9qQ3HfaV0kwFNM2UldV7P1G9mL9ACQk-b78tW4=A7841CBA",
    )
    .validator("prefix"),
    prefix(
        "npm_token",
        &["npm_"],
        r"npm_[A-Za-z0-9]{36}",
        "npm_NjntbZ7bhqSd1kb6tRL3YTHo5OdUeePxLwnR",
    ),
    prefix(
        "pypi_token",
        &["pypi-AgE"],
        r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,300}",
        "pypi-AgEIcHlwaS5vcmcLVkH05B7oKJ9L0BSs45jBUEx-BeAsMAuYP6HAhPMe6tce5Xc-fCUsFvzSHDeiOFcYoRcRT_TtasSrDwtr8cQAlw1XJnMdIQJY_XWr9D9ioVglI_wXd-hgA4q",
    )
    .validator("prefix"),
    prefix(
        "rubygems_api_key",
        &["rubygems_"],
        r"rubygems_[0-9a-f]{48}",
        "rubygems_5e8e20ecf8a4f09d0285c8b974c55ab2eb25f10603363927",
    ),
    prefix(
        "nuget_api_key",
        &["oy2"],
        r"oy2[a-z0-9]{43}",
        "oy2l9a2yejlqroapdkyrjs6r2ymf3ytrl9jyy2zdqgg5y4",
    )
    .score(0.9),
    prefix(
        "clojars_token",
        &["CLOJARS_"],
        r"CLOJARS_[a-z0-9]{60}",
        "CLOJARS_bqrcb0f09vvuadm5xn4z1qgcso2y2q30tt5flo7m8zdlvqnrwbffai8q6yci",
    ),
    prefix(
        "docker_hub_token",
        &["dckr_pat_", "dckr_oat_"],
        r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40}",
        "dckr_pat_Q-fdK2CF4K3Vx8BkMy5BkBPuhGj",
    ),
    prefix(
        "jfrog_token",
        &["AKCp", "cmVmdGtuOjAxOj"],
        r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{50})",
        "AKCpddKLlvN6IHNYb0ZRRSr9wFPDqC2W9AJs055Dbe6G8RhHPUUGTxXN9NHAHWLLtulkIXsOE",
    ),
    prefix(
        "sonarqube_token",
        &["sqp_", "squ_", "sqa_"],
        r"sq[pua]_[0-9a-f]{40}",
        "squ_f5109a3a04818919f8a7fabf31d18c38378b59b6",
    ),
    prefix(
        "buildkite_token",
        &["bkua_"],
        r"bkua_[a-f0-9]{40}",
        "bkua_abf3e450f106f01194926fcfa607a655cb61a5f6",
    ),
    prefix(
        "circleci_token",
        &["CCIPAT_"],
        r"CCIPAT_[A-Za-z0-9]{22}_[0-9a-f]{40}",
        "CCIPAT_30LVDGiJwHXczIpbPhqiNT_e02049fb045decf71ad9a825ada20f7c715a5324",
    ),
    prefix(
        "sourcegraph_token",
        &["sgp_"],
        r"sgp_(?:[0-9a-f]{16}_)?[0-9a-f]{40}",
        "sgp_e895204fe4dc076f_ba735951a942bed6734becc88608b144b0b2a037",
    ),
    prefix(
        "octopus_deploy_api_key",
        &["API-"],
        r"API-[A-Z0-9]{26}",
        "API-HQ93CLHSVPI8QUTVOXXNBIY6HB",
    )
    .score(0.9),
    prefix(
        "prefect_api_key",
        &["pnu_"],
        r"pnu_[A-Za-z0-9]{36}",
        "pnu_HpkTg7WIrXlD7sfLnNmccNFx0atmbKmU970r",
    ),
    prefix(
        "infracost_api_key",
        &["ico-"],
        r"ico-[A-Za-z0-9]{32}",
        "ico-owq025tPN8sCQNHQthj94WZ4aayA4UCG",
    ),
    prefix(
        "scalingo_token",
        &["tk-us-"],
        r"tk-us-[A-Za-z0-9_-]{48}",
        "tk-us-8oFiOCmTN_jS70n4e_Juq8dj0KZyncOCsKZYLojF8n45jfIO",
    ),
    // ---- Chat, messaging and e-mail ----
    prefix(
        "slack_token",
        &["xox"],
        r"xox(?:[abprs]-(?:[0-9]{1,16}-){1,4}[A-Za-z0-9]{16,64}|e(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{100,200})",
        "xoxb-816667255725-2614332948102-emg8kHaNz2MgFvhAzW76XlSM",
    )
    .validator("prefix"),
    prefix(
        "slack_app_token",
        &["xapp-"],
        r"xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,16}-[a-f0-9]{64}",
        "xapp-1-AZ3UUI0BA29-3589149195260-567358f806bb23edd542db04f0bb544c90f1675da37a9eaec0d21382b0c94588",
    ),
    prefix(
        "slack_webhook_url",
        &["hooks.slack.com/"],
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}(?:/[0-9]{6,20})?/[A-Za-z0-9]{20,40}",
        "https://hooks.slack.com/services/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",
    )
    .behind(8, 160)
    .validator("prefix+length"),
    prefix(
        "discord_webhook_url",
        &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
        r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,72}",
        "https://discord.com/api/webhooks/8708979328264130504/ngQ9iUm9cdvorV9dJ2PkLQV_DqTQPtBR2aq-8GQF563FAz4-LRymn_p_mHUrrMxf391U",
    )
    .behind(16, 170)
    .validator("prefix+length"),
    prefix(
        "teams_webhook_url",
        &["webhook.office.com/webhookb2/"],
        r"https://[A-Za-z0-9-]{1,63}\.webhook\.office\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36}(?:/[A-Za-z0-9_-]{20,80})?",
        "https://contoso.webhook.office.com/webhookb2/86d0526a-4a33-70d0-84dc-b0b33d62b47c@f0ff6a87-2cb9-1642-9990-e524c8b8c51e/IncomingWebhook/6046f6a36c5e44a102cba4c803a62bef/b941a1e0-8228-30cf-fce3-fdd2ac0e1c13",
    )
    .behind(80, 400)
    .validator("prefix+length"),
    prefix(
        "telegram_bot_token",
        &[":AA"],
        r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
        "2257766085:AA2VobKhAlwE5NfMb-Lt2DR8uwVgAi1ga10",
    )
    .behind(10, 46)
    .score(0.9),
    prefix(
        "twitch_oauth_token",
        &["oauth:"],
        r"oauth:[a-z0-9]{30}",
        "oauth:8vdozmohcydvlafyszbfxle954jymi",
    )
    .score(0.9),
    prefix(
        "sendgrid_api_key",
        &["SG."],
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        "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",
    ),
    prefix(
        "mailgun_api_key",
        &["key-"],
        r"key-[0-9a-f]{32}",
        "key-0fe304a619923b98a449179be2a630e9",
    )
    .score(0.9),
    prefix(
        "mailchimp_api_key",
        &["-us"],
        r"[0-9a-f]{32}-us[0-9]{1,2}",
        "1d82a37bd8a2fe90c2eb521f8fdeb434-us21",
    )
    .behind(32, 40)
    .score(0.9),
    prefix(
        "brevo_api_key",
        &["xkeysib-"],
        r"xkeysib-[0-9a-f]{64}-[A-Za-z0-9]{16}",
        "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",
    ),
    prefix(
        "resend_api_key",
        &["re_"],
        r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}",
        "re_4TpafFmX_76yJYIYwH7YXnaDayjuh7OCg",
    ),
    prefix(
        "mailersend_api_token",
        &["mlsn."],
        r"mlsn\.[0-9a-f]{64}",
        "mlsn.6795f27249cc779fc933799441e4cd187fb59ae4d13e52337febad605aba709b",
    ),
    // ---- Payments and commerce ----
    prefix(
        "stripe_secret_key",
        &["sk_live_", "sk_test_"],
        r"sk_(?:live|test)_[A-Za-z0-9]{24,247}",
        "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",
    )
    .validator("prefix"),
    prefix(
        "stripe_restricted_key",
        &["rk_live_", "rk_test_"],
        r"rk_(?:live|test)_[A-Za-z0-9]{24,247}",
        "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",
    )
    .validator("prefix"),
    prefix(
        "stripe_webhook_secret",
        &["whsec_"],
        r"whsec_[A-Za-z0-9+/]{32,88}={0,2}",
        "whsec_gQerwdlQ770WuSld5plFQdyW7aCqqAIT",
    )
    .validator("prefix"),
    prefix(
        "square_access_token",
        &["sq0atp-", "EAAA"],
        r"(?:sq0atp-[A-Za-z0-9_-]{22}|EAAA[A-Za-z0-9_-]{60})",
        "EAAAxVIvl3uwiqM4Hu0QbA2gZ-D5xX7-cP_rZdJS3a_vvfMY0J5v_5-Ulvx-chxz",
    ),
    prefix(
        "square_oauth_secret",
        &["sq0csp-"],
        r"sq0csp-[A-Za-z0-9_-]{43}",
        "sq0csp-ATdSjEvyToCE8b7XGP3fvSHeLMfRvsfTL46acip7Iqo",
    ),
    prefix(
        "braintree_access_token",
        &["access_token$"],
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        "access_token$production$yvxgt0yhcm03vxwi$3aa63c7d9039ef770118948517029b57",
    ),
    prefix(
        "shopify_token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}",
        "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",
    ),
    prefix(
        "shippo_api_token",
        &["shippo_live_", "shippo_test_"],
        r"shippo_(?:live|test)_[0-9a-f]{40}",
        "shippo_live_76f80be0aba9cf505e3349b650aa6ca11f418b67",
    ),
    prefix(
        "plaid_access_token",
        &["access-"],
        r"access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "access-production-ae162bd6-ec1e-bf58-63b0-41b4071dd134",
    ),
    prefix(
        "easypost_api_key",
        &["EZAK", "EZTK"],
        r"EZ[AT]K[A-Za-z0-9]{54}",
        "EZAKZtaWZrjq1yejH846dk2lh6yaM0jFgPMdb5MBqY5zVImzd7lcjkhuIN",
    ),
    prefix(
        "flutterwave_secret_key",
        &["FLWSECK"],
        r"FLWSECK(?:_TEST)?-[0-9a-f]{32}-X",
        "FLWSECK-bca4e85015cd13761ac34669eca5ae0a-X",
    ),
    prefix(
        "duffel_api_token",
        &["duffel_"],
        r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}",
        "duffel_live_9HwVXZj9gxDsKBjWzBWKugCYMsYWy2FWSuYjilFGdWN",
    ),
    // ---- Productivity, SaaS and observability ----
    prefix(
        "linear_api_key",
        &["lin_api_"],
        r"lin_api_[A-Za-z0-9]{40}",
        "lin_api_WQyC248sKsESm2k4CK29Z0Z5ytH6lm94lwUimxDT",
    ),
    prefix(
        "notion_token",
        &["ntn_", "secret_"],
        r"(?:ntn_[A-Za-z0-9]{40,50}|secret_[A-Za-z0-9]{43})",
        "ntn_BI4vtWPHncL1dLC4rYtALNmL1L5jwDUJ7hWEicakvoXOA7",
    )
    .score(0.95),
    prefix(
        "postman_api_key",
        &["PMAK-"],
        r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}",
        "PMAK-6f0428eece128da0e4c955f4-878d4637d13efd066d9431c20cdf5d84ca",
    ),
    prefix(
        "airtable_pat",
        &["pat"],
        r"pat[A-Za-z0-9]{14}\.[0-9a-f]{64}",
        "patbM56b6Rc6H1Fz7.a61e9d353220bec9c0f78ebd9107fc850a3b73ef29536a9a935af25f1e5dfd00",
    ),
    prefix(
        "figma_token",
        &["figd_"],
        r"figd_[A-Za-z0-9_-]{40}",
        "figd_h7BMQpDybIO9zeiSqTkxP5bFLEzCvOKypFjHCaTg",
    ),
    prefix(
        "dropbox_token",
        &["sl."],
        r"sl\.(?:u\.)?[A-Za-z0-9_-]{130,1400}",
        "sl.CWWn3yx16jPxsmaxKYpSikYHtdPqxoY7a1nVFRgJyu2AkTlgjjijmuBn_3qTSDzz0_sYWRLDshQ-GjTYdVHVFT_UK3otRv7dX1AXRTWUm0cv5wVXcAwCchwAOQnOSqPdO9SG-Yraljsu",
    )
    .validator("prefix"),
    prefix(
        "contentful_token",
        &["CFPAT-"],
        r"CFPAT-[A-Za-z0-9_-]{43}",
        "CFPAT-p30SXfVKgp-R-IDBe4jqP5qZPP8SBNaupOKWJwMALcF",
    ),
    prefix(
        "adafruit_io_key",
        &["aio_"],
        r"aio_[A-Za-z0-9]{28}",
        "aio_wNv7rzgyZRglM3rlcNWgkf826ugU",
    ),
    prefix(
        "clickup_api_token",
        &["pk_"],
        r"pk_[0-9]{6,10}_[A-Z0-9]{32}",
        "pk_85542342_17TXJJPVY3QZSMQ7KBKXDCHK3FBIBR9Q",
    ),
    prefix(
        "typeform_token",
        &["tfp_"],
        r"tfp_[A-Za-z0-9_-]{40,60}",
        "tfp_hgvqBUsTkp3danTyFFVAQ0EqV5DYkhuoonOM-OYYdLdb_3VpI9Cfx5d7W4r",
    )
    .validator("prefix"),
    prefix(
        "hubspot_private_app_token",
        &["pat-na1-", "pat-eu1-"],
        r"pat-(?:na1|eu1)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "pat-na1-4d623cbf-1237-65a8-2e04-9f636dedbe37",
    ),
    prefix(
        "salesforce_access_token",
        &["00D"],
        r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,250}",
        "00DSGz9Be4jQLZo0fr!WVuaWvyHIDizv0XfcdUGESS3E8bDPO7e3lyWARbfgFDp2mRAovtFvlWWGICjDzQ0Gl9d954PeMNLOCrxuc8gJ7XKh0txN9TI",
    )
    .score(0.9)
    .validator("prefix"),
    prefix(
        "readme_api_key",
        &["rdme_"],
        r"rdme_[a-z0-9]{70}",
        "rdme_n1uc493idi3uxdiw9rojpo41la8jon4vx17b4dxgrlfpcmwke6uvl2q75if8q3iomt1zhe",
    ),
    prefix(
        "frameio_token",
        &["fio-u-"],
        r"fio-u-[A-Za-z0-9_=-]{64}",
        "fio-u-Q4yQWg01M53NMe4Y26g1NCVbc7QT-gVvje9jgbEmwy2M1DUDzjt4dy8Cz4MVVBi1",
    ),
    prefix(
        "mapbox_secret_token",
        &["sk.eyJ"],
        r"sk\.eyJ[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{20,100}",
        "sk.eyJiSZzS8p8wQB3fwQNwmX-NtQ6EPsd1kogoDcLGWTbC_B4HFec64VU1ZG6iM7K.VCIp7LzeqPDg3x8hKuGaGM",
    )
    .validator("prefix"),
    prefix(
        "sentry_token",
        &["sntrys_", "sntryu_"],
        r"(?:sntrys_eyJ[A-Za-z0-9+/=_-]{60,600}|sntryu_[0-9a-f]{64})",
        "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",
    )
    .validator("prefix"),
    prefix(
        "new_relic_key",
        &["NRAK-", "NRJS-", "NRII-", "NRAA-", "NRRA-", "NRIQ-"],
        r"NR(?:AK|JS|II|AA|RA|IQ)-[A-Za-z0-9]{19,32}",
        "NRAK-UXCL7GW5M65KLUFCSN7Z8UXU7F0",
    )
    .validator("prefix"),
    prefix(
        "new_relic_license_key",
        &["NRAL"],
        r"[0-9a-f]{36}NRAL",
        "6796dd64433a50c6f5bc47f6b003a8582ca9NRAL",
    )
    .behind(36, 40),
    prefix(
        "grafana_service_account_token",
        &["glsa_"],
        r"glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}",
        "glsa_fH3DjedlO8U4mxtSrA3LU4jKbgXdJwpb_6ba436de",
    ),
    prefix(
        "grafana_cloud_token",
        &["glc_"],
        r"glc_[A-Za-z0-9+/]{32,400}={0,2}",
        "glc_eyJ4r+6hEHu86inU/qxlnO6zYyHcSQuWAej0WwIQ+gO0uVATz89B1Bau2RJrkvAygvNJghW8oUEx4NJMW/rDkF21OYdGPYAHm0mfiIKar2Qm4ZWGYbPy02n6/LS",
    )
    .validator("prefix"),
    prefix(
        "dynatrace_token",
        &["dt0c01."],
        r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",
        "dt0c01.JK4VKMO7QUVGJICTV3S2AIJI.86T0BMXMLD5N5RQNQ21X2KNZ061ZOTM6KP7RBOZ933BYQBXP7XL8VB66VUS1Y3IB",
    ),
    // ---- Social ----
    prefix(
        "twitter_bearer_token",
        &["AAAAAAAAAAAAAAAAAAAAA"],
        r"A{21}[A-Za-z0-9%]{50,150}",
        "AAAAAAAAAAAAAAAAAAAAAjRHHhruuNmAMRhPPAAAAAAAA0DHYK6phAV43T0wCBo2N9wKxf7qB9QFuoqdmsnC94PB7W68c5tsCTQi0hVjQ",
    )
    .allow_runs()
    .validator("prefix"),
    prefix(
        "facebook_access_token",
        &["EAA"],
        r"EAA[A-Za-z0-9]{100,300}",
        "EAABXuk5sc8zpMChUwzSDqB8FGIeRjf6lW35PTqVL2UCN6g3kjtciyN7w1rs1APfSmNWXeniNwnvphKgsyXsXGdx6aQQqtlLvrRR9ngfgfrpAXg9eiOBvZd5QWtv8g7oEpUl378paAe9Fw9rs1N9izcWWI",
    )
    .score(0.9)
    .validator("prefix"),
];

/// Formats that count only near a telling keyword.
pub(super) static CONTEXT_RULES: &[ContextRule] = &[
    context(
        "aws_secret_access_key",
        &[
            "aws_secret_access_key",
            "aws_secret_key",
            "secret_access_key",
            "secretaccesskey",
            "secret access key",
            "aws_secret",
        ],
        r"[A-Za-z0-9/+]{40}",
        "aws_secret_access_key = kPnO1/H/kSMtOhfhynHTBtehcF6s9ERbBZHsuWuA",
    )
    .window(0, 120, 40)
    .entropy(4.0)
    .edge("/+=")
    .score(0.9),
    context(
        "twilio_api_key",
        &["twilio"],
        r"SK[0-9a-fA-F]{32}",
        "TWILIO_API_KEY_SID=SK5a09da2f63fc27fa05ec5455da26c166",
    )
    .window(200, 200, 34)
    .score(0.85),
    context(
        "datadog_api_key",
        &["datadog", "dd_api_key", "dd-api-key", "ddapikey"],
        r"[0-9a-f]{32}",
        "DD_API_KEY=3c6b887cfae2a3dc40b423cfa3905f83",
    )
    .window(100, 100, 32),
    context(
        "datadog_app_key",
        &[
            "dd_app_key",
            "dd-app-key",
            "dd_application_key",
            "dd-application-key",
            "datadog_app_key",
        ],
        r"[0-9a-f]{40}",
        "DD_APP_KEY=6a2bc71f79c5e9b877873ed53d5d00fd7f5704cf",
    )
    .window(100, 100, 40),
    context(
        "okta_api_token",
        &["okta", "ssws"],
        r"00[A-Za-z0-9_-]{40}",
        "Authorization: SSWS 00TOu_HKZN44P-pMe75xYM4A9fDw-FlwcDTAA-FO_A",
    )
    .window(200, 200, 42)
    .entropy(3.5)
    .score(0.85),
    context(
        "cloudflare_api_token",
        &[
            "cloudflare",
            "cf_api_token",
            "cf_api_key",
            "cf-api-token",
            "cf_token",
        ],
        r"[A-Za-z0-9_-]{40}|[0-9a-f]{37}",
        "CLOUDFLARE_API_TOKEN=yotMbbW4oHW0nXiOOOCYfXvbnu5Q7WaNggPLrdK2",
    )
    .window(200, 200, 40)
    .shape(cloudflare_shape),
    context(
        "discord_bot_token",
        &["discord"],
        r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}",
        "DISCORD_BOT=MrsMStxL7Tc6b6kz3RtpStijkh.DvwboY.4WkntbviUqvOtrIn0ImscM2LD7O8FW0z9oPZpK",
    )
    .window(300, 300, 80)
    .entropy(3.5)
    .score(0.85),
    context(
        "asana_token",
        &["asana"],
        r"[0-9]/[0-9]{16}(?:/[0-9]{16})?:[A-Za-z0-9]{32}",
        "ASANA_PAT=2/4298802595634715/3506745424192893:dddb83a750b7e3eef3507fd7445108d7",
    )
    .window(200, 200, 70),
    context(
        "wandb_api_key",
        &["wandb"],
        r"[0-9a-f]{40}",
        "WANDB_API_KEY=ca394b81d625467bf64ee7e4ca0182f0f1055687",
    )
    .window(100, 100, 40),
];
