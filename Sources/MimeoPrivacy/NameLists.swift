/// Small built-in word lists: the fakes' vocabulary, and the first names that mark a person's name inside
/// free text. Common US and UK given names and surnames (census-style frequency lists, abridged).
enum NameLists {
    static let firstNames: [String] = [
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
        "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Lisa",
        "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven",
        "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda",
        "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie", "Edward", "Rebecca", "Jason",
        "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric",
        "Shirley", "Jonathan", "Anna", "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole",
        "Brandon", "Helen", "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra",
        "Frank", "Rachel", "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry",
        "Heather", "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam", "Olivia", "Nathan", "Joyce", "Henry",
        "Virginia", "Oliver", "Victoria", "Harry", "Kelly", "Peter", "Lauren", "Zachary", "Christina", "Kyle", "Joan",
        "Noah", "Evelyn", "Ethan", "Judith", "Jeremy", "Megan", "Walter", "Andrea", "Christian", "Cheryl", "Keith",
        "Hannah", "Roger", "Jacqueline", "Terry", "Martha", "Austin", "Gloria", "Sean", "Teresa", "Gerald", "Ann", "Carl",
        "Sophie", "Harold", "Grace", "Dylan", "Chloe", "Arthur", "Amelia", "Lawrence", "Isla", "Jordan", "Ava", "Jesse",
        "Mia", "Bryan", "Ella", "Billy", "Lily", "Bruce", "Freya", "Gabriel", "Charlotte", "Logan", "Poppy", "Alan", "Ruby",
        "Juan", "Alice", "Wayne", "Isabella", "Ralph", "Sophia", "Roy", "Priya", "Eugene", "Aisha", "Louis", "Fatima",
        "Mohammed", "Mei", "Wei", "Ana", "Carlos", "Lucia", "Luis", "Elena", "Miguel", "Sofia", "Ahmed", "Yuki",
    ]
    static let lastNames: [String] = [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
        "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
        "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
        "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
        "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
        "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez",
        "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
        "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
        "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
        "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Gonzales", "Fisher",
        "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin",
        "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
        "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
        "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns",
        "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason",
        "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone",
        "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols",
        "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kumar", "Singh", "Khan", "Wang", "Li",
    ]
    static let streetNames: [String] = [
        "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Birch", "Lake", "Hill", "Park", "Church", "Mill", "High",
        "Station", "Victoria", "King", "Queen", "Market", "Bridge", "River", "Spring", "Meadow", "Forest", "Sunset",
        "Highland", "Washington", "Lincoln", "Jefferson", "Franklin", "Madison", "Chestnut", "Walnut", "Valley", "Ridge",
        "Orchard", "Garden", "Harbor", "Prospect", "Union", "Center",
    ]
    static let streetSuffixes: [String] = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Place", "Boulevard", "Close"]
    static let urlWords: [String] = ["alpha", "nova", "blue", "green", "river", "summit", "pixel", "orbit", "cedar", "harbor",
                                     "lumen", "vertex", "maple", "quartz", "delta", "echo"]

    /// First names as a set, for spotting names in free text.
    static let firstNameSet: Set<String> = Set(firstNames)
    /// Surnames as a set.
    static let lastNameSet: Set<String> = Set(lastNames)
    /// Titles that introduce a name in free text.
    static let titles: Set<String> = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof", "Prof."]
}
