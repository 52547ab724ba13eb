/**
 * Passwords (and password stems) that lead every published list of leaked passwords, lower case.
 * checkPasswordPolicy refuses a password that is one of these, or one of these with digits or
 * symbols around it ("Password2024!", "iloveyou1234"), also in leetspeak ("p@ssw0rd").
 * Kept short on purpose: the trivial patterns (repeats, runs, keyboard walks) are caught by rule,
 * not by listing them, and a login limit (429) stops guessing beyond the head of any list.
 */
export const COMMON_PASSWORDS: readonly string[] = `
123456 123456789 12345678 12345 1234567 1234567890 123123 111111 000000 654321 666666 121212
112233 123321 7777777 987654321 123qwe qwerty123 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx
1qazxsw2 zaq12wsx zaq1zaq1 qazwsx qazwsxedc qwerty qwertyuiop qwertz azerty asdfgh asdfghjkl
zxcvbnm zxcvbn asdf1234 qwer1234 abc123 abcd1234 a1b2c3 a1b2c3d4 aa123456 password passw0rd
password1 password12 password123 passwort motdepasse contrasena senha parola wachtwoord
haslo salasana losenord admin administrator root toor guest user login welcome letmein
changeme default secret master access trustno1 iloveyou iloveu loveyou lovely love princess
sunshine shadow monkey dragon football baseball basketball soccer hockey superman batman
spiderman pokemon starwars jordan michael michelle jennifer jessica ashley daniel charlie
thomas hunter killer freedom whatever qwertyui ninja mustang master123 flower hello
hellokitty hello123 computer internet samsung apple google facebook twitter linkedin
microsoft windows office cisco oracle server database mysql postgres postgresql redis kafka
spark flink airflow fstore feature features featurestore welcome1 welcome123 summer winter
spring autumn fall january february march april may june july august september october
november december monday tuesday wednesday thursday friday saturday sunday letmein123
passpass pass1234 pass123 test test123 testing tester temp temp123 temporary demo demo123
example sample nothing anything something everything blahblah whatever1 123abc abc12345
qwe123 asd123 zxc123 1234qwer q1w2e3r4 q1w2e3r4t5 q1w2e3 1a2b3c 159753 147258369 147258
789456 789456123 741852963 963852741 159357 258456 2580 0987654321 112233445566 11223344
adidas nike chelsea liverpool arsenal barcelona realmadrid juventus manchester united
yankees cowboys steelers lakers eagles tigers lions bears dolphins rangers matrix mercedes
ferrari porsche corvette harley yamaha honda toyota nissan bmw audi volkswagen cookie
chocolate cheese pepper banana orange lemon cherry peaches strawberry butterfly dolphin
tigger buster ginger maggie bailey molly daisy lucky angel angels babygirl baby princess1
sweety sweetheart honey sugar cutie beautiful blessed jesus christ heaven god godisgood
faith hope family friends friendship forever together mother father sister brother
love123 loveme lovers iloveyou1 iloveme myspace mylove secret123 letmeinplease openup
opensesame 123456a 123456q 123456789a a123456 a12345678 qwerty1 qwerty12 1234abcd
abcdef abcdefg abcdefgh abcdefghij abcdefghijkl zyxwvutsrqpo 0123456789 9876543210
aaaaaa aaaaaaaa 00000000 11111111 88888888 99999999 12341234 123123123 121212121
zaq1xsw2 !qaz2wsx 1qaz!qaz qwaszx asdasd qweqwe zxczxc qweasd qweasdzxc 123qweasd
qweasdzxc123 monkey123 dragon123 shadow123 sunshine1 princess123 football1 baseball1
superman1 batman123 master1 killer123 hunter2 hunter123 trustno1! access14 charlie1
jordan23 michael1 thomas1 robert richard william david james john joseph george andrew
matthew anthony joshua christopher nicole amanda melissa elizabeth sarah stephanie
rachel samantha hannah emily alexander alexandra victoria natasha anastasia
changeit changeme123 newpassword mypassword yourpassword thepassword password!
p@ssword p@ssw0rd pa55word pa55w0rd passw0rd! admin123 admin1234 administrator1 root123
rootroot adminadmin superuser supervisor manager security securepassword strongpassword
verysecure notsecure insecure unknown nopassword blank empty none null undefined system
service operator reader viewer company business money dollar million billion rich
success winner champion victory legend gamer gaming player minecraft fortnite roblox
warcraft counterstrike steam xbox playstation nintendo zelda mario sonic naruto
onepiece dragonball goku vegeta pikachu charmander doctor nurse teacher student school
college university summer2024 winter2024 spring2024 summer2025 winter2025 spring2025
autumn2025 summer2026 winter2026 spring2026 autumn2026 welcome2024 welcome2025
welcome2026 password2024 password2025 password2026 qwerty2024 qwerty2025 qwerty2026
`
  .split(/\s+/)
  .filter(Boolean);
