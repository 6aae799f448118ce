// A system instance's configuration: tables merged over files, hosts expanded with the
// defaults and placeholders, attributes derived, and every problem named by file and key.
import FluxsFormats
import Testing

struct InstanceConfigTests {
    @Test func bootstrapHostsAndAttributes() throws {
        let config = try InstanceConfig(files: [
            ("10-bootstrap.toml", [
                "bootstrap": [
                    "curve_cert": "/etc/fluxs/system/curve.cert", "default_port": 9000,
                    "hosts": [["host": "node[0-1]"], ["host": "login", "bind": "tcp://10.0.0.9:%p", "connect": "tcp://%h-ib:%p"]],
                ],
            ]),
            ("20-rest.toml", [
                "resource": ["noverify": true, "exclude": "login"],
                "tbon": ["topo": "kary:2", "keepalive-period": 2, "heal": false],
                "exec": ["kill-timeout": "10s"],
                "access": ["allow-guest-user": true],
                "modules": ["exec": "none", "job-exec": "1-2"],
            ]),
        ])
        #expect(config.hosts.map(\.name) == ["node0", "node1", "login"])
        #expect(config.hosts[0].bind == "tcp://*:9000")
        #expect(config.hosts[1].connect == "tcp://node1:9000")
        #expect(config.hosts[2].connect == "tcp://login-ib:9000")
        #expect(config.hosts[2].bind == "tcp://10.0.0.9:9000")
        #expect(config.rank(ofHost: "node1") == 1)
        #expect(config.rank(ofHost: "node1.cluster.example") == 1)
        #expect(config.rank(ofHost: "other") == nil)
        #expect(config.curveCert == "/etc/fluxs/system/curve.cert")
        #expect(config.allowGuestUser && !config.allowRootOwner)
        #expect(config.attributes["resource.noverify"] == "1")
        #expect(config.attributes["resource.exclude"] == "login")
        #expect(config.attributes["tbon.topo"] == "kary:2")
        #expect(config.attributes["tbon.keepalive-period"] == "2s")
        #expect(config.attributes["tbon.heal"] == "off")
        #expect(config.attributes["job-exec.kill-timeout"] == "10s")
        #expect(config.json["tbon"]?["topo"] == "kary:2")
        #expect(config.attributes["broker.modules.exec"] == "none")
        #expect(config.attributes["broker.modules.job-exec"] == "1-2")
    }

    @Test(arguments: [
        ([("a.toml", ["bogus": ["x": 1]] as JSONValue)], "a.toml: bogus: unknown table"),
        ([("a.toml", ["tbon": ["topology": "kary:2"]] as JSONValue)], "a.toml: tbon.topology: unknown key"),
        ([("a.toml", ["resource": ["noverify": "yes"]] as JSONValue)], "a.toml: resource.noverify: must be true or false"),
        ([("a.toml", ["exec": ["kill-timeout": "soon"]] as JSONValue)], "a.toml: exec.kill-timeout:"),
        ([("a.toml", ["tbon": ["heal": "maybe"]] as JSONValue)], "a.toml: tbon.heal: must be true or false"),
        ([("a.toml", ["bootstrap": ["curve_cert": "curve.cert"]] as JSONValue)], "a.toml: bootstrap.curve_cert: must be an absolute path"),
        ([("a.toml", ["bootstrap": ["hosts": [["host": "n[0-1]"], ["host": "n1"]]]] as JSONValue)],
         "a.toml: bootstrap.hosts: host n1 is listed twice"),
        ([("a.toml", ["bootstrap": ["hosts": [["hots": "n0"]]]] as JSONValue)], "a.toml: bootstrap.hosts: entry 1 has no host"),
        ([("a.toml", ["modules": ["exec": "some"]] as JSONValue)], "a.toml: modules.exec: must be \"all\", \"none\" or an idset"),
        ([("a.toml", ["tbon": ["topo": "kary:2"]] as JSONValue), ("b.toml", ["tbon": ["topo": "binomial"]] as JSONValue)],
         "b.toml: tbon.topo: already set in a.toml"),
    ])
    func problemsNameTheFileAndKey(_ files: [(String, JSONValue)], _ start: String) {
        #expect {
            _ = try InstanceConfig(files: files.map { (name: $0.0, table: $0.1) })
        } throws: { error in
            (error as? ConfigError)?.message.hasPrefix(start) == true
        }
    }
}

struct CurveCertificateTests {
    static let pub = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    static let sec = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

    @Test func writesAndReadsTheZPLForm() throws {
        let cert = try CurveCertificate(publicKey: Self.pub, secretKey: Self.sec, name: "node0")
        let back = try CurveCertificate(parsing: cert.text)
        #expect(back == cert)
        #expect(cert.text.contains("    public-key = \"\(Self.pub)\""))
    }

    @Test func refusesWhatIsNotACertificate() {
        #expect(throws: ParseError.self) { try CurveCertificate(publicKey: "short", secretKey: Self.sec) }
        #expect(throws: ParseError.self) { try CurveCertificate(parsing: "curve\n    public-key = \"\(Self.pub)\"\n") }
        #expect(throws: ParseError.self) { try CurveCertificate(parsing: "hello\nworld = 1\n") }
    }
}
